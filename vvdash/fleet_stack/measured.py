"""A site's series as the running pipeline exposes them, for the simulated fleet.

`capture` reads every series one site's Prometheus holds from its targets (the local stack,
`vvdash stack up`: the pipeline's own exporters, node, blackbox, pushgateway, Alertmanager),
leaving out what a site's Prometheus makes itself (recorded series, ALERTS, `up` and the
scrape_* series, its own metrics: the simulated site's Prometheus makes those). `series`
turns the capture back into one simulated site's series (vvdash/fleet_stack/sim_exporter.py
serves them), so the fleet's cardinality per site is the pipeline's measured one.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import requests

from vvdash.cost.series import Series
from vvdash.errors import VVError
from vvdash.jobs import JOB

OWN = ("up", "ALERTS", "ALERTS_FOR_STATE")
COUNTER_SUFFIXES = ("_total", "_bucket", "_count", "_sum", "_created")


def made_by_prometheus(name: str, labels: dict) -> bool:
    return (":" in name or name in OWN or name.startswith("scrape_")
            or labels.get("job") == JOB["prometheus"])


def capture(prometheus_url: str, site: str | None = None) -> dict:
    """{"site", "series": [[name, labels, kind, value]], "per_site": {site: n}, "per_job": {job: n}}
    from a running Prometheus; `site` picks one (default: the one with the most series)."""
    r = requests.get(f"{prometheus_url.rstrip('/')}/api/v1/query", params={"query": '{__name__=~".+"}'}, timeout=60)
    r.raise_for_status()
    rows = [(s["metric"].pop("__name__"), s["metric"], float(s["value"][1])) for s in r.json()["data"]["result"]]
    rows = [row for row in rows if not made_by_prometheus(row[0], row[1])]
    per_site = Counter(labels.get("site", "") for _, labels, _v in rows)
    if not per_site:
        raise VVError(f"{prometheus_url}: no series from any target yet")
    site = site or per_site.most_common(1)[0][0]
    chosen = [(n, {k: v for k, v in labels.items() if k != "site"}, v) for n, labels, v in rows
              if labels.get("site", "") == site]
    return {"source": prometheus_url, "site": site,
            "per_site": dict(per_site), "per_job": dict(Counter(labels.get("job", "") for _, labels, _v in chosen)),
            "series": sorted(([n, labels, "counter" if n.endswith(COUNTER_SUFFIXES) else "gauge",
                               v if v == v else 0.0] for n, labels, v in chosen),    # (NaN: an empty summary)
                             key=lambda s: (s[0], sorted(s[1].items())))}


def load(path: str | Path) -> dict:
    try:
        data = json.loads(Path(path).read_text())
        assert isinstance(data["series"], list)
        return data
    except (OSError, ValueError, KeyError, AssertionError, TypeError) as exc:
        raise VVError(f"{path}: not a captured site series file ({type(exc).__name__})") from None


def series(site: str, captured: dict) -> list[Series]:
    """The captured site's series as `site`'s: counters growing at a rate that puts them at the
    captured value after an hour, gauges at the captured value."""
    out = []
    for name, labels, kind, value in captured["series"]:
        rate = value / 3600 if kind == "counter" else value
        out.append(Series(name, {k: _escape(v) for k, v in {**labels, "site": site}.items()}, kind, rate, swing=0.0))
    return out


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
