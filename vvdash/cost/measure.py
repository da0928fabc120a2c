"""Send a dashboard's queries to a Prometheus with stats=all; server time and samples per query."""

from __future__ import annotations

import statistics
from collections import defaultdict
from dataclasses import dataclass

import requests

from vvdash.cost.grafana import Query
from vvdash.errors import VVError


@dataclass
class Cost:
    query: Query
    seconds: list[float]        # execTotalTime of each run
    samples: int                # totalQueryableSamples
    series: int                 # series in the result
    result: list                # the last run's result (for comparisons)

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)


def run(url: str, query: Query, timeout: float = 300) -> tuple[float, int, list]:
    path = "query" if query.instant else "query_range"
    r = requests.get(f"{url}/api/v1/{path}", params={**query.params(), "stats": "all"}, timeout=timeout)
    body = r.json() if r.headers.get("content-type", "").startswith("application/json") else {}
    if r.status_code != 200 or body.get("status") != "success":
        raise VVError(f"{query.dashboard} / {query.panel} / {query.ref}: Prometheus answered "
                      f"{r.status_code}: {body.get('error', r.text[:200])} for {query.expr!r}")
    stats = body["data"].get("stats") or {}
    timings = stats.get("timings") or {}
    seconds = timings.get("execTotalTime", timings.get("evalTotalTime", 0.0))
    samples = (stats.get("samples") or {}).get("totalQueryableSamples", 0)
    return float(seconds), int(samples), body["data"]["result"]


def measure(url: str, queries: list[Query], runs: int = 3, warmup: bool = True) -> list[Cost]:
    """Each query `runs` times (after one unmeasured run that loads the chunks the query reads)."""
    out = []
    for q in queries:
        if warmup:
            run(url, q)
        seconds: list[float] = []
        result: list = []
        samples = 0
        for _ in range(runs):
            s, samples, result = run(url, q)
            seconds.append(s)
        out.append(Cost(q, seconds, samples, len(result), result))
    return out


def per_dashboard(costs: list[Cost]) -> dict[str, dict]:
    """Median over runs of the summed server time, and the samples, per dashboard."""
    by: dict[str, list[Cost]] = defaultdict(list)
    for c in costs:
        by[c.query.dashboard].append(c)
    out = {}
    for uid, items in sorted(by.items()):
        runs = len(items[0].seconds)
        totals = [sum(c.seconds[i] for c in items) for i in range(runs)]
        out[uid] = {"seconds": statistics.median(totals), "samples": sum(c.samples for c in items),
                    "queries": len(items)}
    return out


def per_panel(costs: list[Cost]) -> dict[tuple[str, str], dict]:
    by: dict[tuple[str, str], list[Cost]] = defaultdict(list)
    for c in costs:
        by[(c.query.dashboard, c.query.panel)].append(c)
    return {key: {"seconds": sum(c.median for c in items), "samples": sum(c.samples for c in items),
                  "series": sum(c.series for c in items), "queries": len(items)}
            for key, items in by.items()}
