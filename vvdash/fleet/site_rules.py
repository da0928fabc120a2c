"""The rules a site's own Prometheus evaluates: what must fire while the site's WAN link is down.

Disk, DVRs, pipeline stalls and down targets are seen only at the site; everything else is
evaluated once for the whole fleet by the store's ruler (vvdash/fleet/central.py). Recording
rules stay with the alerts that read them; recorded series are not shipped (the ruler records
them from the raw series, for server and agent sites alike).
"""

from __future__ import annotations

from vvdash.model.rules import Alert, Group, RuleFile

# Modules whose every alert is site-local, and single alerts from the others.
LOCAL_MODULES = ("storage", "dvr")
LOCAL_ALERTS = ("VVPipelineStalled", "VVPipelineInputBacklogGrowing", "VVTargetDown")


def is_local(rule_file: RuleFile, rule) -> bool:
    return isinstance(rule, Alert) and (rule_file.module in LOCAL_MODULES or rule.alert in LOCAL_ALERTS)


def site_rule_files(rule_files: list[RuleFile], every_module: bool = False) -> list[RuleFile]:
    """Each module's recording rules and its site-local alerts (a module without local alerts
    is left out unless `every_module`)."""
    out = []
    for rf in rule_files:
        if not every_module and not any(is_local(rf, r) for _, r in rf.rules()):
            continue
        groups = tuple(Group(name=g.name, rules=tuple(r for r in g.rules if not isinstance(r, Alert) or is_local(rf, r)),
                             interval=g.interval) for g in rf.groups)
        out.append(RuleFile(module=rf.module, source=rf.source, groups=tuple(g for g in groups if g.rules)))
    return out


def central_site_files(rule_files: list[RuleFile]) -> list[RuleFile]:
    """For the ruler: every recording rule (the per-site dashboards read them from the store) and
    the site-local alerts again, the only evaluation for agent sites. For a server site they
    carry the same labels as the site's own, so Alertmanager merges the two."""
    return site_rule_files(rule_files, every_module=True)
