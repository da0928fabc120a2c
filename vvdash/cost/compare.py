"""Do two versions of a panel show the same thing? Their queries' results, as the panel draws them.

Series are matched by their legend (legendFormat rendered with the series' labels), which
is what the user reads; range results are compared point by point at the common timestamps,
each difference relative to the larger of the two values or the line's largest value (the scale
the line is drawn at: a growth rate crossing zero is not compared against a value near 0), a
one-number panel by its reduction (lastNotNull, mean...) of the old range against the new
instant value. Counts per interval (increase(), sums of recorded increases) compare per second of
the window each counts, so bars of different widths compare as the same rate.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, replace

from vvdash.cost.grafana import ONE_NUMBER_PANELS, Query
from vvdash.cost.measure import run


def legend(fmt: str, labels: dict) -> str:
    if not fmt:
        inner = ", ".join(f'{k}="{v}"' for k, v in sorted(labels.items()) if k != "__name__")
        return f"{{{inner}}}"
    return re.sub(r"\{\{\s*(\w+)\s*\}\}", lambda m: labels.get(m.group(1), ""), fmt)


def _reduce(values: list[float], calc: str) -> float:
    finite = [v for v in values if not math.isnan(v)]
    if not finite:
        return math.nan
    if calc == "mean":
        return sum(finite) / len(finite)
    if calc == "max":
        return max(finite)
    if calc == "min":
        return min(finite)
    return finite[-1]           # lastNotNull / last


# A count per interval: increase() over a window, or a sum over a window of recorded increases.
_COUNT = re.compile(r"\b(?:increase|sum_over_time)\([^\[\]]*\[(\w+)\]\)")


def count_window(expr: str) -> float | None:
    """The window (seconds) a panel's per-interval count covers, when the expression is such a count."""
    found = {m.group(1) for m in _COUNT.finditer(expr)}
    if len(found) != 1:
        return None
    from vvdash.cost.grafana import _parse_duration
    return _parse_duration(found.pop()) or None


def drawn(panel: dict, queries: list[Query], url: str, per_second: bool = False) -> dict[str, dict[float, float]]:
    """legend -> {timestamp: value} for a panel's queries (instant ones at their one timestamp).

    per_second: counts per interval divided by the window each covers (bars over a different step
    then compare as the same rate)."""
    targets = {t.get("refId") or chr(ord("A") + i): t for i, t in enumerate(panel.get("targets") or [])}
    out: dict[str, dict[float, float]] = {}
    for q in queries:
        fmt = (targets.get(q.ref) or {}).get("legendFormat", "")
        window = count_window(q.expr) if per_second else None
        _, _, result = run(url, q)
        for item in result:
            name = legend(fmt, item.get("metric", {}))
            points = item.get("values") or [item["value"]]
            out.setdefault(name, {}).update({float(t): float(v) / (window or 1) for t, v in points})
    return out


@dataclass
class Agreement:
    dashboard: str
    panel: str
    compared: int            # points (or one-number values) compared
    worst: float             # largest relative difference seen
    missing: list[str]       # legends drawn by one version only
    tolerance: float
    only_old: list[str] | None = None    # of those, the ones only the old version drew

    @property
    def ok(self) -> bool:
        return not self.missing and self.compared > 0 and self.worst <= self.tolerance

    @property
    def empty(self) -> bool:
        """Neither version draws anything on this data (series the data set does not hold, e.g. GPUs)."""
        return not self.missing and self.compared == 0

    @property
    def narrower(self) -> bool:
        """The new version draws a subset of the old one's lines (a selector fixed to the panel's own
        jobs), and the lines both draw agree."""
        return bool(self.missing) and set(self.missing) == set(self.only_old or ()) and self.compared > 0 \
            and self.worst <= self.tolerance


def _relative(a: float, b: float, floor: float) -> float:
    if math.isnan(a) and math.isnan(b):
        return 0.0
    if math.isnan(a) or math.isnan(b):
        return math.inf
    return abs(a - b) / max(abs(a), abs(b), floor)


def agree(old_panel: dict, old: list[Query], new_panel: dict, new: list[Query], url: str,
          tolerance: float, floor: float = 1e-6, since: float = 0.0) -> Agreement:
    """Compare what two versions of a panel draw; points before `since` (windows still filling
    at the start of the data) are left out."""
    one_number = new_panel.get("type") in ONE_NUMBER_PANELS
    if one_number and old and not old[0].instant:
        # The old panel showed its range query's last step: ask the instant query for that moment.
        new = [replace(q, end=old[0].end) if q.instant else q for q in new]
    # Both versions count events per interval: compare them per second of the window each counts.
    per_second = bool(old and new) and all(count_window(q.expr) for q in (*old, *new))
    a, b = drawn(old_panel, old, url, per_second), drawn(new_panel, new, url, per_second)
    missing = sorted(set(a) ^ set(b))
    only_old = sorted(set(a) - set(b))
    worst, compared = 0.0, 0
    calc = ((new_panel.get("options") or {}).get("reduceOptions") or {}).get("calcs", ["lastNotNull"])[0]
    for name in set(a) & set(b):
        if one_number:
            x = _reduce([a[name][t] for t in sorted(a[name])], calc)
            y = _reduce([b[name][t] for t in sorted(b[name])], calc)
            worst = max(worst, _relative(x, y, floor))
            compared += 1
            continue
        # A line is compared at the scale it is drawn on: near zero (a growth rate changing sign) a
        # difference counts against the line's largest value, not against a value close to 0.
        scale = max([abs(v) for v in a[name].values() if not math.isnan(v)] or [0.0])
        for t in sorted(set(a[name]) & set(b[name])):
            if t < since:
                continue
            worst = max(worst, _relative(a[name][t], b[name][t], max(floor, scale)))
            compared += 1
    return Agreement(new[0].dashboard if new else "", new_panel.get("title", ""), compared, worst, missing, tolerance,
                     only_old)
