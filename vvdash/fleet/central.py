"""generated/fleet/ruler/: the rule files of the store's ruler (Thanos rule, Prometheus rule syntax).

`fleet.yml` holds the fleet's own rules (rules/central/fleet.py, loaded with the project); `site-<module>.yml` the
single-site recording rules evaluated over the whole store (the per-site dashboards read them
there) and the site-local alerts (the only evaluation for agent sites). Thanos rule takes
them with `--rule-file=<dir>/*.yml`; it queries every tenant unless its querier is limited
to one (`fleet.store.tenant`).
"""

from __future__ import annotations

from vvdash.emit.rules import rule_file_dict
from vvdash.emit.serialize import GENERATED_HEADER, dump_yaml
from vvdash.fleet.site_rules import central_site_files
from vvdash.model.rules import RuleFile

RULER_DIR = "fleet/ruler"


def rule_files(project) -> list[RuleFile]:
    """Every file the ruler loads, in order: the fleet's, then the site modules'."""
    site = [RuleFile(module=f"site-{rf.module}", source=rf.source, groups=rf.groups)
            for rf in central_site_files(project.rule_files)]
    return [*project.fleet_rule_files, *site]


def render(project) -> dict[str, bytes]:
    return {f"{RULER_DIR}/{rf.module}.yml": dump_yaml(rule_file_dict(rf, project.inventory), GENERATED_HEADER)
            for rf in rule_files(project)}


