"""The URLs the stack prints: for each page, the first candidate that answers on what is running.

Debian's builds leave the web UIs out: Prometheus 2.42 serves only its classic pages
(/classic/...), 3.5 only the API, and Alertmanager answers `/` with a page saying it has no
web application. So each link has candidates, UI first, the API last, and the one printed is
the first that answers 200 with real content.
"""

from __future__ import annotations

import requests

# Pages that answer 200 but only to say the UI is missing.
NO_UI_MARKERS = ("does not include a web application", "web UI is not available")

# label -> (service, candidate paths, UI first)
PAGES: dict[str, tuple[str, tuple[str, ...]]] = {
    "Dashboards": ("grafana", ("/",)),      # `vvdash preview` where Grafana would be
    "Prometheus": ("prometheus", ("/query", "/graph", "/classic/graph", "/api/v1/status/buildinfo")),
    "Prometheus targets": ("prometheus", ("/targets", "/classic/targets", "/api/v1/targets?state=active")),
    "Prometheus alerts": ("prometheus", ("/alerts", "/classic/alerts", "/api/v1/alerts")),
    "Alertmanager": ("alertmanager", ("/#/alerts", "/api/v2/alerts")),
    "Runbook": ("runbook_server", ("/RUNBOOK.md",)),
    "Pushgateway": ("pushgateway", ("/", "/api/v1/metrics")),
}


def answering(url: str, timeout: float = 3.0) -> str | None:
    """Where `url` ends up after redirects (its #fragment kept) when that answers 200 with more
    than a page saying the UI is missing; None otherwise."""
    page, hashmark, fragment = url.partition("#")
    try:
        r = requests.get(page, timeout=timeout)
    except requests.RequestException:
        return None
    if r.status_code != 200 or any(m in " ".join(r.text.split()) for m in NO_UI_MARKERS):
        return None
    return r.url + hashmark + fragment


def first_answering(base: str, paths: tuple[str, ...]) -> str | None:
    for path in paths:
        url = answering(base + path)
        if url:
            return url
    return None


def pages(service_url) -> dict[str, str]:
    """label -> URL for every page that has a candidate answering; `service_url(name)` is the
    service's base URL."""
    out = {}
    for label, (service, paths) in PAGES.items():
        url = first_answering(service_url(service).rstrip("/"), paths)
        if url:
            out[label] = url
    return out
