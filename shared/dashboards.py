"""Dashboard uids: `vv-` and the module's name in dashboards/ (underscores as dashes).

Derived, not listed, so a new dashboard module needs no second edit, and an alert can link to a
dashboard without importing it. Stable: alerts link to them, Grafana keeps history by them.
"""

from __future__ import annotations

PREFIX = "vv-"


def uid(module: str) -> str:
    """The uid of the dashboard defined by dashboards/<module>.py."""
    return PREFIX + module.replace("_", "-")
