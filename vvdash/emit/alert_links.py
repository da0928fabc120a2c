"""Alert annotations with links: runbook_url to the alert's RUNBOOK.md section, dashboard_url.

Both come from two base URLs, `links.grafana_url` and `links.runbook_url`. Without them in the
inventory they point at the first site's first host by name, where the compose stack publishes
Grafana and the runbook service (the name is what a reader elsewhere can resolve; an address
such as 127.0.0.1 would only ever reach the reader's own machine).
"""

import re

RUNBOOK_FILE = "RUNBOOK.md"


def runbook_anchor(alert_name: str) -> str:
    """GitHub-style heading anchor of the alert's section in RUNBOOK.md."""
    return re.sub(r"[^a-z0-9_-]", "", alert_name.lower())


def _default_host(inv) -> str:
    return inv.sites[0]["hosts"][0]["name"]


def grafana_url(inv) -> str:
    links = inv.get("links") or {}
    url = links.get("grafana_url") or f"http://{_default_host(inv)}:{inv['services']['grafana']['port']}"
    return url.rstrip("/")


def runbook_url(inv) -> str:
    links = inv.get("links") or {}
    port = inv["services"]["runbook_server"]["port"]
    return links.get("runbook_url") or f"http://{_default_host(inv)}:{port}/{RUNBOOK_FILE}"


def dashboard_url(alert, inv) -> str:
    """Grafana's /d/<uid> (Grafana redirects it to /d/<uid>/<slug>)."""
    return f"{grafana_url(inv)}/d/{alert.dashboard}"


def annotations(alert, inv) -> dict:
    out = dict(alert.annotations)
    out["summary"] = alert.summary
    out["description"] = alert.description
    out["runbook_url"] = f"{runbook_url(inv)}#{runbook_anchor(alert.alert)}"
    out["dashboard_url"] = dashboard_url(alert, inv)
    return out
