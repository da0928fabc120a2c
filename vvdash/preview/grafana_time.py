"""Grafana's interval arithmetic for Prometheus queries, following its documented behaviour
(docs: "Global variables" $__interval, $__rate_interval, $__range; "Query options" min
interval and max data points) and its Prometheus data source:

- interval = the time range / max data points (the panel's width in pixels), rounded to a
  "nice" interval, never below the min interval (the data source's scrape interval) nor
  below range / 11000 (Prometheus' own point limit); the query step is that interval;
- $__rate_interval = max($__interval + scrape interval, 4 * scrape interval), where a query's own
  min step ("interval") takes the scrape interval's place;
- $__range = the range in whole seconds ("21600s"), $__range_s / $__range_ms numbers;
- start and end are aligned down to a multiple of the step.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

SAFE_RESOLUTION = 11000            # Prometheus refuses more than 11000 points per series
DEFAULT_SCRAPE_MS = 15_000         # Grafana's default when the data source names none

# (upper bound ms, rounded ms): an interval up to the bound rounds to the value.
_NICE = [
    (10, 1), (15, 10), (35, 20), (75, 50), (150, 100), (350, 200), (750, 500),
    (1500, 1000), (3500, 2000), (7500, 5000), (12500, 10000), (17500, 15000),
    (25000, 20000), (45000, 30000), (90000, 60000), (210000, 120000), (450000, 300000),
    (750000, 600000), (1050000, 900000), (1500000, 1200000), (2700000, 1800000),
    (5400000, 3600000), (9000000, 7200000), (16200000, 10800000), (32400000, 21600000),
    (86400000, 43200000), (172800000, 86400000), (604800000, 86400000),
    (1814400000, 604800000),
]
_MONTH_MS, _YEAR_MS = 2592000000, 31536000000

_UNIT_MS = {"ms": 1, "s": 1000, "m": 60_000, "h": 3_600_000, "d": 86_400_000,
            "w": 604_800_000, "y": 31_536_000_000}
_DURATION = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h|d|w|y)")


def round_interval(ms: float) -> int:
    for bound, value in _NICE:
        if ms <= bound:
            return value
    return _MONTH_MS if ms < 3628800000 else _YEAR_MS


def parse_duration_ms(text: str) -> int:
    """'15s', '1m30s', '500ms' -> milliseconds; ValueError on anything else."""
    text = text.strip()
    pos, total = 0, 0.0
    for m in _DURATION.finditer(text):
        if m.start() != pos:
            break
        total += float(m.group(1)) * _UNIT_MS[m.group(2)]
        pos = m.end()
    if not text or pos != len(text):
        raise ValueError(f"not a duration: {text!r}")
    return int(total)


def format_interval(ms: int) -> str:
    """$__interval's text: the largest whole unit, truncated ('90s' -> '1m')."""
    for unit in ("y", "d", "h", "m", "s", "ms"):
        if ms >= _UNIT_MS[unit]:
            return f"{ms // _UNIT_MS[unit]}{unit}"
    return "1ms"


def go_duration(ms: int) -> str:
    """$__rate_interval's text, as Go prints a duration: '1m20s', '4m0s', '500ms'."""
    if ms < 1000:
        return f"{ms}ms"
    hours, rest = divmod(ms, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    seconds = f"{rest // 1000}" if rest % 1000 == 0 else f"{rest / 1000:g}"
    if hours:
        return f"{hours}h{minutes}m{seconds}s"
    if minutes:
        return f"{minutes}m{seconds}s"
    return f"{seconds}s"


@dataclass(frozen=True)
class Intervals:
    step_ms: int          # the query step, also $__interval
    rate_ms: int          # $__rate_interval
    range_ms: int         # to - from
    start_ms: int         # from, aligned down to the step
    end_ms: int           # to, aligned down to the step

    @property
    def interval(self) -> str:
        return format_interval(self.step_ms)

    def interpolate(self, expr: str) -> str:
        """Replace the built-in macros, longest names first ($__interval_ms before $__interval)."""
        range_s = round(self.range_ms / 1000)
        values = {
            "__interval_ms": str(self.step_ms), "__interval": self.interval,
            "__range_ms": str(self.range_ms), "__range_s": str(range_s), "__range": f"{range_s}s",
            "__rate_interval_ms": str(self.rate_ms), "__rate_interval": go_duration(self.rate_ms),
        }
        for name in sorted(values, key=len, reverse=True):
            expr = expr.replace("${" + name + "}", values[name]).replace("$" + name, values[name])
        return expr


def compute(from_ms: int, to_ms: int, max_data_points: int, scrape_ms: int = DEFAULT_SCRAPE_MS,
            min_interval_ms: int | None = None) -> Intervals:
    """The intervals of one query over [from_ms, to_ms] drawn `max_data_points` wide."""
    span = max(to_ms - from_ms, 1)
    low = min_interval_ms if min_interval_ms else scrape_ms
    interval = max(round_interval(span / max(max_data_points, 1)), low)     # the page's $__interval
    safe = round_interval(span / SAFE_RESOLUTION)
    step = max(interval, safe)
    scrape = min_interval_ms or scrape_ms       # a query's min step stands in for the scrape interval
    rate = max(interval + scrape, 4 * scrape)
    return Intervals(step, rate, span, from_ms - from_ms % step, to_ms - to_ms % step)
