"""The fleet: a Prometheus (server or agent) per site remote-writing into a central store.

Only an inventory with a `fleet` section gets any of it; the single-site build is unchanged.
- site_config: each site's prometheus.yml (external `site` label, remote_write, relabelling);
- site_rules: the alerts a site evaluates itself, so they fire while its WAN link is down;
- central: the rule files of the store's ruler (fleet rollups, SLOs, "site silent") and their tests;
- kubernetes: the same rules as Prometheus Operator PrometheusRule resources.
"""

from __future__ import annotations


def configured(inv) -> bool:
    return inv.get("fleet") is not None


def fleet_record_files(inv) -> list:
    """The ruler's fleet rule file, for the contract check of what reads its records ([] without `fleet`)."""
    if not configured(inv):
        return []
    from vvdash.fleet.central import fleet_rule_file  # noqa: PLC0415  (rules/ imports dashboards/)

    return [fleet_rule_file(inv)]


def fleet_lint_files(generated) -> tuple[list, list]:
    """The fleet's rule files (sites' and ruler's) and promtool tests in a rendered tree, for lint."""
    from pathlib import Path  # noqa: PLC0415

    fleet = Path(generated) / "fleet"
    return (sorted(fleet.glob("sites/*/rules/*.yml")) + sorted(fleet.glob("ruler/*.yml")),
            sorted(fleet.glob("tests/*.yml")))


def fleet_alerts(inv) -> list:
    """(rule file, group, alert) of the ruler's fleet alerts, for RUNBOOK.md ([] without `fleet`)."""
    from vvdash.model.rules import Alert  # noqa: PLC0415

    return [(rf, g, r) for rf in fleet_record_files(inv) for g, r in rf.rules() if isinstance(r, Alert)]
