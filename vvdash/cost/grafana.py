"""Panel targets expanded as Grafana's Prometheus data source sends them.

Follows Grafana's documented behaviour and source (pkg/promlib/models/query.go and
pkg/tsdb/intervalv2): the panel's width in pixels is its maxDataPoints; the interval is
range / maxDataPoints, raised to the data source's scrape interval (min step) and to
range / 11000 (the safe resolution), then rounded to a "nice" interval;
$__rate_interval = max($__interval + scrape, 4 x scrape); multi-value variables on All send
their allValue; range queries have start and end aligned down to the step.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from vvdash.model.dashboards import DATA_PANEL_TYPES, iter_panels

GRID_COLUMNS = 24
SAFE_RESOLUTION = 11000
ONE_NUMBER_PANELS = ("stat", "gauge", "bargauge")

# Grafana's roundInterval: (upper bound inclusive, rounded interval), both in milliseconds.
_ROUNDING = (
    (10, 1), (15, 10), (35, 20), (75, 50), (150, 100), (350, 200), (750, 500), (1500, 1000),
    (3500, 2000), (7500, 5000), (12500, 10000), (17500, 15000), (25000, 20000), (45000, 30000),
    (90000, 60000), (210000, 120000), (450000, 300000), (750000, 600000), (1050000, 900000),
    (1500000, 1200000), (2700000, 1800000), (5400000, 3600000), (9000000, 7200000),
    (16200000, 10800000), (32400000, 21600000), (86400000, 43200000), (604800000, 86400000),
    (1814400000, 604800000), (3628800000 - 1, 2592000000),
)


def round_interval_ms(ms: float) -> int:
    for bound, value in _ROUNDING:
        if ms <= bound:
            return value
    return 31536000000


def interval_seconds(range_s: float, max_data_points: int, scrape_s: float) -> float:
    """$__interval of a panel (seconds) as Grafana's Prometheus data source computes it."""
    calculated = range_s * 1000 / max(max_data_points, 1)
    interval = scrape_s * 1000 if calculated < scrape_s * 1000 else round_interval_ms(calculated)
    safe = round_interval_ms(range_s * 1000 / SAFE_RESOLUTION)
    return max(interval, safe) / 1000


def rate_interval_seconds(interval_s: float, scrape_s: float) -> float:
    return max(interval_s + scrape_s, 4 * scrape_s)


def panel_width_px(panel: dict, screen_px: int) -> int:
    return max(1, round((panel.get("gridPos") or {}).get("w", GRID_COLUMNS) * screen_px / GRID_COLUMNS))


def _duration(seconds: float) -> str:
    ms = round(seconds * 1000)
    return f"{ms // 1000}s" if ms % 1000 == 0 else f"{ms}ms"


@dataclass(frozen=True)
class Query:
    """One HTTP query Grafana would send for a panel target."""

    dashboard: str
    panel: str
    panel_type: str
    ref: str
    expr: str           # as sent: variables substituted
    instant: bool
    start: float        # unix seconds (range queries)
    end: float          # unix seconds: the evaluation time of an instant query
    step: float         # seconds (range queries)

    def params(self) -> dict:
        if self.instant:
            return {"query": self.expr, "time": f"{self.end:.3f}"}
        return {"query": self.expr, "start": f"{self.start:.3f}", "end": f"{self.end:.3f}", "step": f"{self.step:g}"}


def substitute(expr: str, *, range_s: float, interval_s: float, scrape_s: float, variables: dict[str, str]) -> str:
    """Grafana's variable interpolation for one query."""
    rate = rate_interval_seconds(interval_s, scrape_s)
    builtins = {
        "__rate_interval": _duration(rate), "__interval": _duration(interval_s),
        "__interval_ms": str(round(interval_s * 1000)), "__range": _duration(range_s),
        "__range_s": str(round(range_s)), "__range_ms": str(round(range_s * 1000)),
    }
    values = {**variables, **builtins}

    def one(match: re.Match) -> str:
        name = match.group(1) or match.group(2)
        return values.get(name, match.group(0))

    return re.sub(r"\$\{(\w+)(?::\w+)?\}|\$(\w+)", one, expr)


def all_values(model: dict) -> dict[str, str]:
    """What each query variable sends when on All (its allValue), and the datasource variable's uid."""
    out = {}
    for v in model.get("templating", {}).get("list", []):
        if v.get("type") == "query":
            out[v["name"]] = v.get("allValue") or ".*"
        elif v.get("type") == "datasource":
            out[v["name"]] = (v.get("current") or {}).get("value", "")
    return out


def multi_value(values: list[str]) -> str:
    """What a multi-value variable with these values selected sends to Prometheus: its values
    regex-escaped, joined by | and grouped (Grafana's Prometheus data source)."""
    return "(" + "|".join(re.sub(r"([\\^$*+?.()|{}\[\]])", r"\\\1", v) for v in values) + ")"


def expand(model: dict, *, end: float, range_s: float, scrape_s: float, screen_px: int = 1600,
           variables: dict[str, str] | None = None) -> list[Query]:
    """Every query a dashboard's panels send for the range [end - range_s, end], with every variable
    on All except those given in `variables` (name -> the value sent)."""
    variables = {**all_values(model), **(variables or {})}
    out = []
    for panel in iter_panels(model):
        if panel.get("type") not in DATA_PANEL_TYPES:
            continue
        points = panel.get("maxDataPoints") or panel_width_px(panel, screen_px)
        interval = interval_seconds(range_s, points, scrape_s)
        min_step = _parse_duration(panel.get("interval")) if panel.get("interval") else 0
        for i, target in enumerate(panel.get("targets") or []):
            expr = (target.get("expr") or "").strip()
            if not expr or target.get("hide"):
                continue
            step = max(interval, min_step, _parse_duration(target.get("interval")) if target.get("interval") else 0)
            sent = substitute(expr, range_s=range_s, interval_s=step, scrape_s=scrape_s, variables=variables)
            instant = bool(target.get("instant")) and not target.get("range")
            start = math.floor((end - range_s) / step) * step
            stop = math.floor(end / step) * step
            out.append(Query(model.get("uid", ""), panel.get("title", ""), panel.get("type", ""),
                             target.get("refId") or chr(ord("A") + i), sent, instant,
                             start, end if instant else stop, step))
    return out


_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800, "y": 31536000}


def _parse_duration(text: str) -> float:
    total = 0.0
    for number, unit in re.findall(r"(\d+(?:\.\d+)?)(ms|s|m|h|d|w|y)", text or ""):
        total += float(number) * _UNITS[unit]
    return total
