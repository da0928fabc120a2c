"""generated/fleet/ruler/: the rule files of the store's ruler (Thanos rule, Prometheus rule syntax).

`fleet.yml` holds the fleet's own rules (rules/central/fleet.py); `site-<module>.yml` the
single-site recording rules evaluated over the whole store (the per-site dashboards read them
there) and the site-local alerts (the only evaluation for agent sites). Thanos rule takes
them with `--rule-file=<dir>/*.yml`; it queries every tenant unless its querier is limited
to one (`fleet.store.tenant`).
"""

from __future__ import annotations

from rules.central import fleet as fleet_rules
from vvdash.emit.serialize import GENERATED_HEADER, dump_yaml
from vvdash.fleet.site_rules import central_site_files
from vvdash.model.rules import RuleFile

RULER_DIR = "fleet/ruler"
FLEET_FILE = "fleet"


def fleet_rule_file(inv) -> RuleFile:
    return RuleFile(FLEET_FILE, "rules/central/fleet.py", tuple(fleet_rules.groups(inv)))


def rule_files(project) -> list[RuleFile]:
    """Every file the ruler loads, in order: the fleet's, then the site modules'."""
    site = [RuleFile(f"site-{rf.module}", rf.source, rf.groups) for rf in central_site_files(project.rule_files)]
    return [fleet_rule_file(project.inventory), *site]


def render(project) -> dict[str, bytes]:
    from vvdash.emit.rules import rule_file_dict  # noqa: PLC0415  (the emitter imports the fleet)

    return {f"{RULER_DIR}/{rf.module}.yml": dump_yaml(rule_file_dict(rf, project.inventory), GENERATED_HEADER)
            for rf in rule_files(project)}


