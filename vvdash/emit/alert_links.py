"""Alert annotations with links: runbook_url to the alert's RUNBOOK.md section, dashboard_url."""

from __future__ import annotations

import re


def runbook_anchor(alert_name: str) -> str:
    """GitHub-style heading anchor of the alert's section in RUNBOOK.md."""
    return re.sub(r"[^a-z0-9_-]", "", alert_name.lower())


def dashboard_url(alert, inv) -> str:
    return f"{inv['links']['grafana_url'].rstrip('/')}/d/{alert.dashboard}"


def annotations(alert, inv) -> dict:
    links = inv["links"]
    out = dict(alert.annotations)
    out["summary"] = alert.summary
    out["description"] = alert.description
    out["runbook_url"] = f"{links['runbook_url']}#{runbook_anchor(alert.alert)}"
    out["dashboard_url"] = dashboard_url(alert, inv)
    return out
