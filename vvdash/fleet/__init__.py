"""The fleet: a Prometheus (server or agent) per site remote-writing into a central store.

Only an inventory with a `fleet` section gets any of it; the single-site build is unchanged.
- site_config: each site's prometheus.yml (external `site` label, remote_write, relabelling);
- site_rules: the alerts a site evaluates itself, so they fire while its WAN link is down;
- central: the rule files of the store's ruler (fleet rollups, SLOs, "site silent"; the fleet's own
  are loaded from rules/central/fleet.py by vvdash/definitions.py), rule_tests: their promtool tests;
- kubernetes: the same rules as Prometheus Operator PrometheusRule resources.
Running a fleet on this machine (`vvdash fleet up`) is vvdash/fleet_stack/.
"""

from __future__ import annotations

from pathlib import Path


def configured(inv) -> bool:
    return inv.get("fleet") is not None


def fleet_lint_files(generated) -> tuple[list, list]:
    """The fleet's rule files (sites' and ruler's) and promtool tests in a rendered tree, for lint."""
    fleet = Path(generated) / "fleet"
    return (sorted(fleet.glob("sites/*/rules/*.yml")) + sorted(fleet.glob("ruler/*.yml")),
            sorted(fleet.glob("tests/*.yml")))
