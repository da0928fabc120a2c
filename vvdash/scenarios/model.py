"""What a scenario is made of: input series as functions of time, checks, and the test clock.

Times are seconds from the start of the test. The clock puts every sample half a step off the
evaluation grid (see Clock), so no sample ever sits on the edge of a range window: Prometheus 2
counts a sample exactly at the window start, Prometheus 3 does not, and a scenario must mean the
same on both.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable

from vvdash.errors import VVError
from vvdash.inventory import duration_seconds

Value = Callable[[float], "float | None"]   # time -> sample value, None for no sample


def seconds(text_or_number) -> float:
    return duration_seconds(text_or_number) if isinstance(text_or_number, str) else float(text_or_number)


def duration(secs: float) -> str:
    """Seconds as a Prometheus duration (whole milliseconds): 90 -> 1m30s, 7.5 -> 7s500ms."""
    ms = round(secs * 1000)
    if ms == 0:
        return "0s"
    out = ""
    for unit, size in (("d", 86_400_000), ("h", 3_600_000), ("m", 60_000), ("s", 1000), ("ms", 1)):
        if ms >= size:
            out += f"{ms // size}{unit}"
            ms %= size
    return out


@dataclass(frozen=True)
class Clock:
    """Evaluation and sample times of one test file.

    Rules are evaluated every `evaluation` seconds from 0 (promtool's evaluation_interval). Every
    range window and `for` in the file is a multiple of `grid`, and so is `evaluation`; samples
    are taken every `step` seconds (a multiple of `grid`, close to the inventory's scrape
    interval) at grid/2 past the grid. So `eval time - window` is never a sample time.
    """

    evaluation: float
    grid: float
    step: float

    @property
    def offset(self) -> float:
        return self.grid / 2

    def samples(self, until: float) -> list[float]:
        n = int((until - self.offset) // self.step) + 1
        return [self.offset + i * self.step for i in range(max(n, 0))]

    def eval_after(self, t: float) -> float:
        """The first rule evaluation strictly after t."""
        return (math.floor(t / self.evaluation + 1e-9) + 1) * self.evaluation

    def eval_at_or_after(self, t: float) -> float:
        return math.ceil(t / self.evaluation - 1e-9) * self.evaluation

    def eval_before(self, t: float) -> float:
        """The last rule evaluation strictly before t."""
        return (math.ceil(t / self.evaluation - 1e-9) - 1) * self.evaluation

    def sample_after(self, t: float) -> float:
        """The first sample time strictly after t."""
        return self.offset + (math.floor((t - self.offset) / self.step + 1e-9) + 1) * self.step

    def sample_at_or_before(self, t: float) -> float:
        return self.offset + math.floor((t - self.offset) / self.step + 1e-9) * self.step

    def fires_at(self, true_from: float, for_: str | float) -> float:
        """The evaluation at which an alert whose expression holds from `true_from` on (and at
        every evaluation after) turns firing: pending at the first evaluation at or after
        `true_from`, firing once `for` has passed since then."""
        first = self.eval_at_or_after(true_from)
        return self.eval_at_or_after(first + seconds(for_))

    def in_window(self, sample: float, at: float, window: str | float) -> bool:
        """Whether a sample time lies in the range window `window` evaluated at `at`."""
        return at - seconds(window) < sample <= at


# Samples at most this far apart, well inside Prometheus' 5m lookback for instant selectors.
MAX_STEP = 120.0
MAX_WINDOW_SAMPLES = 4000


def make_clock(evaluation: float, scrape: float, windows: list[float], span: float | None = None) -> Clock:
    """The clock for a file whose rules use these range windows and `for` durations; `span`,
    when given, is how long its scenarios run (days of samples need a coarser step)."""
    ms = [round(w * 1000) for w in windows if w > 0] + [round(evaluation * 1000)]
    g = 0
    for m in ms:
        g = math.gcd(g, m)
    shortest = min([w for w in windows if w > 0] or [scrape * 4])
    # A grid fine enough for four samples in the shortest window, with a whole-millisecond half step.
    want = max(1, math.ceil(4 * g / (shortest * 1000) - 1e-9), math.ceil(g / (MAX_STEP * 1000) - 1e-9))
    k = next((k for k in range(want, g // 2 + 1) if g % k == 0 and (g // k) % 2 == 0), 1)
    if g % 2:
        raise VVError(f"durations {sorted(set(ms))} ms have no common grid of whole even milliseconds")
    grid = g / k / 1000
    # About the scrape interval, but at least four samples in the shortest window.
    n = max(1, min(math.ceil(min(scrape, MAX_STEP) / grid - 1e-9), math.floor(shortest / 4 / grid + 1e-9)))
    # promtool refuses a query over more than 10000 samples: keep a span of `span` well under it.
    if span:
        n = max(n, math.ceil(span / MAX_WINDOW_SAMPLES / grid - 1e-9))
    return Clock(evaluation, grid, n * grid)


def counter(rate: float, start: float = 0.0, value_at_start: float = 0.0, until: float | None = None) -> Value:
    """A counter growing by `rate` per second from `start` (no samples before), flat after `until`."""
    def value(t: float):
        if t < start:
            return None
        end = t if until is None else min(t, until)
        return value_at_start + rate * (end - start)
    return value


def gauge(v: float, start: float = 0.0, until: float | None = None) -> Value:
    """A constant gauge from `start` to `until` (no samples outside)."""
    return lambda t: v if start <= t and (until is None or t <= until) else None


def steps(*points: tuple[float, float | None], until: float | None = None) -> Value:
    """A series taking value v from time t on, for each (t, v) in order; v None means no samples."""
    def value(t: float):
        if until is not None and t > until:
            return None
        current = None
        for at, v in points:
            if t >= at:
                current = v
        return current
    return value


def ramp(start_value: float, per_second: float, start: float = 0.0, until: float | None = None) -> Value:
    """A gauge moving by `per_second` from `start_value` at `start`."""
    return lambda t: (start_value + per_second * (t - start)
                      if t >= start and (until is None or t <= until) else None)


@dataclass(frozen=True)
class Series:
    """One input series: metric name, labels, and its value at each sample time."""

    metric: str
    labels: dict
    value: Value

    def selector(self) -> str:
        inner = ", ".join(f'{k}="{_escape(v)}"' for k, v in sorted(self.labels.items()))
        return f"{self.metric}{{{inner}}}"


def _escape(value) -> str:
    return str(value).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


@dataclass(frozen=True)
class Firing:
    """One alert expected firing: its labels beyond alertname and the rule's own labels, and the
    value its annotations show. `severity` picks the rule when the alert name has several."""

    labels: dict
    value: float | None = None
    severity: str | None = None
    annotations: dict | None = None     # only when the templates are beyond what scenarios render


@dataclass(frozen=True)
class AlertCheck:
    """At evaluation `at`, alert `alert` is firing with exactly `firing` (empty: stays quiet)."""

    at: float
    alert: str
    firing: tuple[Firing, ...] = ()
    why: str = ""


@dataclass(frozen=True)
class ExprCheck:
    """At evaluation `at`, `expr` returns exactly these samples ({labels-as-selector: value})."""

    at: float
    expr: str
    samples: tuple = ()          # ((labels dict, value), ...); __name__ in labels for a bare selector
    why: str = ""


@dataclass(frozen=True)
class Scenario:
    """A promtool test group: series computed from the inventory, checks at chosen evaluations.

    `rule` names the alert or recording rule the scenario is about, `kind` what it shows
    (fires, near miss, for edge, window edge, absent data, expression), `keys` the inventory
    keys (dotted paths) the series and times were computed from; all three go into the test's
    name so a failure names them with their values.
    """

    rule: str
    kind: str
    name: str
    keys: tuple[str, ...]
    series: tuple[Series, ...]
    checks: tuple
    until: float = 0.0       # last sample time; default: the last check
    # A steady state checked after its `for` or window has passed, no edge among its checks: in a
    # module with STEADY it runs on that coarser clock (<module>_steady.yml), as every evaluation
    # of its span sees the same verdict.
    steady: bool = False


def close(at: float, expr: str, labels: dict, value: float, rel: float = 1e-6, why: str = "") -> ExprCheck:
    """`expr` at `at` returns one series with exactly `labels` (its name aside), within `rel` of
    `value`: promtool compares exactly, and rates carry float noise."""
    tol = max(abs(value) * rel, 1e-12)
    return ExprCheck(at, f"abs(({expr}) - ({value!r})) <= bool {tol!r}", ((labels, 1),), why)


def quiet(at: float, alert: str, why: str = "") -> AlertCheck:
    return AlertCheck(at, alert, (), why)


def fires(at: float, alert: str, *firing: Firing, why: str = "") -> AlertCheck:
    return AlertCheck(at, alert, tuple(firing), why)


def clear(x: float) -> float:
    """x nudged a millionth off a rounding edge of four significant digits (what the humanize
    functions show), so Prometheus' float noise cannot tip the annotation either way."""
    if x == 0 or not math.isfinite(x):
        return x
    for _ in range(4):
        if "%.4g" % (x * (1 - 1e-9)) == "%.4g" % (x * (1 + 1e-9)):
            return x
        x *= 1 + 1e-6
    return x


def just_over(threshold, whole: bool = False):
    """A value just over a threshold: 2% more, or for a count (`whole`) the next whole number."""
    return math.floor(threshold) + 1 if whole else clear(threshold * 1.02 if threshold else 0.01)


def just_under(threshold, whole: bool = False):
    """A value just under a threshold: 2% less, or for a count compared with `>` the threshold
    itself (the highest whole number not over it)."""
    return math.floor(threshold) if whole else clear(threshold * 0.98)
