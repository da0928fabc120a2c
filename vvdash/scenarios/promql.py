"""What Prometheus computes from one scenario series, for expected values and the times an
expression turns true: rate/increase/delta with Prometheus' extrapolation, and the series'
latest sample. The windows are left-open, (at - window, at]; the clock keeps samples off the
edge, so Prometheus 2 (closed) and 3 (left-open) see the same samples.
"""

from __future__ import annotations

import math

from vvdash.scenarios.model import Clock, Series, seconds

LOOKBACK = 300.0     # Prometheus' default lookback delta for instant selectors


def window_samples(series: Series, clock: Clock, at: float, window) -> list[tuple[float, float]]:
    """The samples a range selector [window] evaluated at `at` sees: (at - window, at]."""
    w = seconds(window)
    offset, step, value = clock.offset, clock.step, series.value
    first = max(0, math.floor((at - w - offset) / step) + 1)
    last = math.floor((at - offset) / step + 1e-9)
    out = []
    for i in range(first, last + 1):
        t = offset + i * step
        if at - w < t <= at:
            v = value(t)
            if v is not None:
                out.append((t, float(v)))
    return out


def latest(series: Series, clock: Clock, at: float) -> float | None:
    """The instant-vector value at `at` (the newest sample within the lookback), or None."""
    got = window_samples(series, clock, at, LOOKBACK)
    return got[-1][1] if got else None


def _extrapolated(samples, at: float, window: float, counter: bool, per_second: bool) -> float | None:
    """promql/functions.go extrapolatedRate for float samples."""
    if len(samples) < 2:
        return None
    (first_t, first_v), (last_t, last_v) = samples[0], samples[-1]
    result = last_v - first_v
    if counter:
        previous = 0.0
        for _, v in samples:
            if v < previous:
                result += previous
            previous = v
    to_start = first_t - (at - window)
    to_end = at - last_t
    sampled = last_t - first_t
    average = sampled / (len(samples) - 1)
    threshold = average * 1.1
    if to_start >= threshold:
        to_start = average / 2
    if counter and result > 0 and first_v >= 0:
        to_zero = sampled * (first_v / result)
        to_start = min(to_start, to_zero)
    if to_end >= threshold:
        to_end = average / 2
    factor = (sampled + to_start + to_end) / sampled
    if per_second:
        factor /= window
    return result * factor


def rate(series: Series, clock: Clock, at: float, window) -> float | None:
    return _extrapolated(window_samples(series, clock, at, window), at, seconds(window), True, True)


def increase(series: Series, clock: Clock, at: float, window) -> float | None:
    return _extrapolated(window_samples(series, clock, at, window), at, seconds(window), True, False)


def delta(series: Series, clock: Clock, at: float, window) -> float | None:
    return _extrapolated(window_samples(series, clock, at, window), at, seconds(window), False, False)


def first_eval(clock: Clock, holds, start: float = 0.0, until: float = 86400 * 30) -> float | None:
    """The first rule evaluation at or after `start` where holds(t) is true."""
    t = clock.eval_at_or_after(start)
    while t <= until:
        if holds(t):
            return t
        t += clock.evaluation
    return None
