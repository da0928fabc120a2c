"""Scenarios for VVDvrFlapping (rules/dvr.py): a DVR that keeps dropping and coming back, each
outage too short for VVDvrDisconnected; a single blip and one change short of the limit stay quiet."""

from __future__ import annotations

from itertools import pairwise

from vvdash.scenarios import Firing, Scenario, Series, fires, promql, quiet

RULE_FILES = ("dvr",)
T = "thresholds.dvr."


def changes(series: Series, clock, at: float, window: float) -> int:
    """PromQL changes(): how often consecutive samples in the window differ."""
    values = [v for _, v in promql.window_samples(series, clock, at, window)]
    return sum(1 for a, b in pairwise(values) if a != b)


def _toggles(times: list[float], start: float = 1.0):
    """A 0/1 series starting at `start` that flips at each of `times`."""
    def value(t: float):
        v = start
        for at in times:
            if t >= at:
                v = 1 - v
        return v
    return value


def scenarios(ctx):
    clock = ctx.clock
    alert = "VVDvrFlapping"
    window, limit = ctx.seconds(T + "flap_window"), ctx.value(T + "flap_changes")
    keys = (T + "flap_window", T + "flap_changes")
    dvr = (ctx.site["dvrs"] or [{"name": "dvr1"}])[0]["name"]
    labels = ctx.labels("agent_dvr", dvr=dvr)
    out_labels = {"job": labels["job"], "site": labels["site"], "dvr": dvr}
    out = []

    # Down three quarters of each period, up the rest: down 90 s / up 30 s with the shipped window.
    period = min(120.0, window / limit)
    if period / 4 < 2 * clock.step:              # on a coarse sample grid: as fast as it can hold samples
        period = 8 * clock.step
    if period / 4 >= 2 * clock.step and 2 * window / period >= limit + 2:   # up spells hold samples
        begin = clock.sample_after(2 * clock.evaluation)
        cycles = int((window + 2 * period) // period) + 2
        flips = [begin + i * period + d for i in range(cycles) for d in (0, 0.75 * period)]
        flapping = Series("vv_agent_dvr_connection_status", labels, _toggles(flips))
        at = clock.eval_after(begin + window + period)
        seen = changes(flapping, clock, at, window)
        checks = [fires(at, alert, Firing(out_labels, seen))]
        if ctx.seconds(T + "disconnected_for") > 0.75 * period + clock.step:
            checks.append(quiet(at, "VVDvrDisconnected", "each outage shorter than disconnected_for"))
        out.append(Scenario(alert, "fires", f"down {0.75 * period:g}s, up {0.25 * period:g}s, over and over: "
                            f"{seen} changes", keys + (T + "disconnected_for",), (flapping,), tuple(checks)))

    # Near misses: one blip (2 changes), and one change fewer than the limit, all within the window.
    check_at = clock.eval_after(2 * clock.evaluation + window)
    for kind, n in (("near miss", 2), ("near miss", limit - 1)):
        if n < 1 or n >= limit:
            continue
        gap = (window - 2 * clock.step) / (n + 1)
        if gap < 2 * clock.step:
            continue
        first = check_at - window + clock.step
        flips = [clock.sample_after(first + i * gap) - clock.step / 2 for i in range(n)]
        blips = Series("vv_agent_dvr_connection_status", labels, _toggles(flips))
        seen = changes(blips, clock, check_at, window)
        assert seen == n, (seen, n)
        out.append(Scenario(alert, kind, f"{n} changes within {ctx.value(T + 'flap_window')}", keys, (blips,),
                            (quiet(check_at, alert),)))
    return out
