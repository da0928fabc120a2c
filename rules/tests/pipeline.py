"""Scenarios for rules/pipeline.py: stage records, error ratio, backlog, stall, corrupted files,
schema and HMAC errors, error-budget burn."""

from __future__ import annotations

import math

from rules._common import RATE_WINDOW, STAGES
from rules.pipeline import PAGE_BURNS, STAGE_METRICS, TICKET_BURNS
from rules.tests._patterns import one_event
from shared import records as R
from vvdash.scenarios import (Firing, clear, Scenario, Series, close, counter, fires, gauge, just_over, just_under, promql,
                              quiet, seconds)

T = "thresholds.pipeline."
# Far over a limit; not a round factor, so no ramp-up fraction of a window meets it exactly.
MANY = 7.3
W = seconds(RATE_WINDOW)


def ratio_over(r: float) -> float:
    """A share just over ratio r that is still a share (at most 1)."""
    if r == 0:
        return 0.01
    return clear(r * 1.02 if r * 1.02 < 1 else (r + 1) / 2)


def _stage(ctx, stage: str, per_second: float, share: float):
    name = STAGE_METRICS[stage][0]
    component = STAGES[stage]
    return (Series(name, ctx.labels(component, status="success"), counter(per_second * (1 - share))),
            Series(name, ctx.labels(component, status="failure"), counter(per_second * share)))


def _rates(ctx, ok, bad, at):
    r_ok, r_bad = (promql.rate(s, ctx.clock, at, RATE_WINDOW) for s in (ok, bad))
    if r_ok is None or r_bad is None or r_ok + r_bad == 0:
        return None, 0.0
    return r_bad / (r_ok + r_bad), r_ok + r_bad


def _stage_labels(ctx, stage):
    return {"job": STAGES[stage], "site": ctx.site["name"], "stage": stage}


def _error_ratio(ctx) -> list[Scenario]:
    clock = ctx.clock
    alert = "VVPipelineStageErrorRatioHigh"
    limit, traffic = ctx.value(T + "stage_error_ratio"), ctx.value(T + "min_items_per_second")
    hold = ctx.seconds(T + "for")
    keys = (T + "stage_error_ratio", T + "min_items_per_second", T + "for")
    out = []

    def holds(pairs):
        def at(t):
            for ok, bad in pairs:
                ratio, total = _rates(ctx, ok, bad, t)
                if ratio is None or not (ratio > limit and total >= traffic):
                    return False
            return True
        return at

    # Every stage just over the ratio with ten times the traffic the guard asks for.
    share = ratio_over(limit)
    pairs = {stage: _stage(ctx, stage, MANY * traffic, share) for stage in STAGE_METRICS}
    true_from = promql.first_eval(clock, holds(pairs.values()))
    edge = clock.fires_at(true_from, hold)
    late = edge
    firing = lambda t: [Firing(_stage_labels(ctx, st), _rates(ctx, *p, t)[0]) for st, p in pairs.items()]  # noqa: E731
    series = tuple(s for p in pairs.values() for s in p)
    out.append(Scenario(alert, "fires", f"{share:.6g} of items failing in every stage, just over {limit:g}, {MANY:g}x the traffic guard", keys,
                        series, (quiet(edge - clock.evaluation, alert, "still pending"),
                                 fires(edge, alert, *firing(edge)))))
    # The records behind it, at the same time.
    ok, bad = pairs["scan"]
    scan = _stage_labels(ctx, "scan")
    full = clock.eval_after(W + 2 * clock.step)                    # the rate window full of samples
    rate = lambda s: promql.rate(s, clock, full, RATE_WINDOW)     # noqa: E731
    out.append(Scenario(R.STAGE_ERROR_RATIO, "expression", "per-stage item rates and error ratio", keys, (ok, bad),
                        (close(full, f'{R.STAGE_ITEMS_RATE}{{stage="scan", status="failure"}}',
                               {**scan, "status": "failure"}, rate(bad)),
                         close(full, f'{R.STAGE_ITEMS_RATE}{{stage="scan", status="success"}}',
                               {**scan, "status": "success"}, rate(ok)),
                         close(full, f'{R.STAGE_ERROR_RATIO}{{stage="scan"}}', scan, share))))
    # Near miss: just under the ratio, same traffic.
    under = just_under(limit)
    pairs_under = [_stage(ctx, stage, MANY * traffic, under) for stage in STAGE_METRICS]
    out.append(Scenario(alert, "near miss", f"{under:.6g} of items failing, just under {limit:g}", keys,
                        tuple(s for p in pairs_under for s in p), (quiet(edge, alert),), steady=True))
    # The traffic guard: half the items failing at just over / just under min_items_per_second.
    many = clear(max(share, (1 + limit) / 2))
    for kind, rate in (("fires", just_over(traffic)), ("near miss", just_under(traffic))):
        ok, bad = _stage(ctx, "logline", rate, many)
        if kind == "fires":
            start = promql.first_eval(clock, holds([(ok, bad)]))
            at = clock.fires_at(start, hold)
            checks = (fires(at, alert, Firing(_stage_labels(ctx, "logline"), _rates(ctx, ok, bad, at)[0])),)
        else:
            checks = (quiet(late, alert),)
        out.append(Scenario(alert, kind, f"{rate:.6g} items a second, {'over' if kind == 'fires' else 'under'} "
                            f"the {traffic:g} traffic guard", keys, (ok, bad), checks, steady=True))
    return out


def _latency(ctx) -> list[Scenario]:
    """Every item takes between 0.5 s and 1 s (videos 4 s to 8 s): quantiles interpolate in that bucket."""
    clock = ctx.clock
    out = []
    series = []
    for stage, (_, histogram, _) in STAGE_METRICS.items():
        labels = ctx.labels(STAGES[stage])
        series += [Series(f"{histogram}_bucket", {**labels, "le": "0.5"}, gauge(0)),
                   Series(f"{histogram}_bucket", {**labels, "le": "1"}, counter(1)),
                   Series(f"{histogram}_bucket", {**labels, "le": "+Inf"}, counter(1))]
    orch = ctx.labels("orchestrator", status="success")
    series += [Series("vv_video_processing_duration_seconds_bucket", {**orch, "le": "4"}, gauge(0)),
               Series("vv_video_processing_duration_seconds_bucket", {**orch, "le": "8"}, counter(1)),
               Series("vv_video_processing_duration_seconds_bucket", {**orch, "le": "+Inf"}, counter(1))]
    at = clock.eval_after(W + clock.step)
    checks = []
    for q in R.QUANTILES:
        for stage in STAGE_METRICS:
            checks.append(close(at, f'{R.STAGE_DURATION_QUANTILE}{{stage="{stage}", quantile="{q}"}}',
                                {**_stage_labels(ctx, stage), "quantile": q}, 0.5 + 0.5 * float(q)))
        checks.append(close(at, f'{R.VIDEO_DURATION_QUANTILE}{{quantile="{q}"}}',
                            {"job": "orchestrator", "site": ctx.site["name"], "quantile": q}, 4 + 4 * float(q)))
    out.append(Scenario(R.STAGE_DURATION_QUANTILE, "expression", "stage and video latency quantiles", (),
                        tuple(series), tuple(checks)))
    return out


def _backlog(ctx) -> list[Scenario]:
    clock = ctx.clock
    alert = "VVPipelineInputBacklogGrowing"
    limit, hold = ctx.value(T + "queue_backlog"), ctx.seconds(T + "for")
    keys = (T + "queue_backlog", T + "for")
    labels = ctx.labels("orchestrator")
    firing_labels = {"job": "orchestrator", "site": ctx.site["name"]}
    index = lambda t: math.floor((t - clock.offset) / clock.step + 1e-9)  # noqa: E731

    def series(value):
        return Series("vv_videos_in_input_queue", labels, value)

    def growing(q):
        return lambda t: (latest := promql.latest(q, clock, t)) is not None and latest > limit and \
            (promql.delta(q, clock, t, hold) or 0) > 0

    # One more video each sample, from just over the limit.
    rising = series(lambda t: just_over(limit, whole=True) + index(t))
    true_from = promql.first_eval(clock, growing(rising))
    edge = clock.fires_at(true_from, hold)
    late = edge
    value = lambda q, t: Firing(firing_labels, promql.latest(q, clock, t))  # noqa: E731
    out = [Scenario(alert, "fires", f"{just_over(limit, whole=True)} queued and one more each sample", keys,
                    (rising,), (quiet(edge - clock.evaluation, alert, "still pending"),
                                fires(edge, alert, value(rising, edge))))]
    # Near misses: growing but reaching only the limit itself; over the limit but steady.
    # Growing all along (one more every third of the `for`), for three `for`s, up to the limit.
    check = clock.eval_after(3 * hold + clock.step)
    top, per = index(check), max(1, math.floor(hold / 3 / clock.step))
    up_to = series(lambda t: max(0, limit - (top - index(t)) // per))
    steady = series(gauge(just_over(limit, whole=True) + 10))
    out.append(Scenario(alert, "near miss", f"growing for {3 * hold:g}s up to {limit}, not over", keys, (up_to,),
                        (quiet(check, alert),), steady=True))
    out.append(Scenario(alert, "near miss", f"{just_over(limit, whole=True) + 10} queued, steady", keys, (steady,),
                        (quiet(late, alert),), steady=True))
    # Window edge: growth stops once the alert fires; quiet once the last growth has left the `for` window.
    stop = clock.sample_after(edge)
    stops = series(lambda t: just_over(limit, whole=True) + index(min(t, stop)))
    flat = promql.first_eval(clock, lambda t: not growing(stops)(t), start=stop)
    out.append(Scenario(alert, "window edge", f"growth stops at {stop:g}s", keys, (stops,),
                        (fires(flat - clock.evaluation, alert, value(stops, flat - clock.evaluation)),
                         quiet(flat, alert, "no growth within the window"))))
    out.append(Scenario(alert, "absent data", "no queue series", keys,
                        (Series("vv_videos_processed_total", ctx.labels("orchestrator", status="success"),
                                counter(1)),), (quiet(late, alert),), steady=True))
    return out


def _stall(ctx) -> list[Scenario]:
    clock = ctx.clock
    alert = "VVPipelineStalled"
    window = ctx.seconds(T + "stalled_for")
    keys = (T + "stalled_for",)
    orch = ctx.labels("orchestrator")
    firing_labels = {"job": "orchestrator", "site": ctx.site["name"]}
    stop = clock.sample_after(2 * clock.evaluation)                # a few videos done, then none
    processed = Series("vv_videos_processed_total", {**orch, "status": "success"}, counter(1 / clock.step, until=stop))
    queued = Series("vv_videos_in_input_queue", orch, gauge(5))
    empty = Series("vv_videos_in_input_queue", orch, gauge(0))
    stalled = promql.first_eval(clock, lambda t: promql.increase(processed, clock, t, window) == 0, start=stop)
    return [
        Scenario(alert, "window edge", f"5 queued, the last video done at {stop:g}s", keys, (queued, processed),
                 (quiet(stalled - clock.evaluation, alert, "the last video is still within stalled_for"),
                  fires(stalled, alert, Firing(firing_labels, 5)))),
        Scenario(alert, "near miss", "processing stopped but nothing queued", keys, (empty, processed),
                 (quiet(stalled, alert),), steady=True),
        Scenario(alert, "near miss", "5 queued, videos keep finishing", keys,
                 (queued, Series("vv_videos_processed_total", {**orch, "status": "success"},
                                 counter(1 / clock.step))), (quiet(stalled, alert),), steady=True),
        Scenario(alert, "absent data", "no queue series", keys, (processed,), (quiet(stalled, alert),), steady=True),
    ]


def _events(ctx) -> list[Scenario]:
    clock = ctx.clock
    site = ctx.site["name"]
    hold = ctx.seconds(T + "for")
    out = one_event(ctx, "VVPipelineCorruptedFilesIncreasing", hold, (T + "for",), "vv_videos_corrupted_total",
                    ctx.labels("orchestrator", reason="unreadable"), {"job": "orchestrator", "site": site},
                    lambda s, t: promql.increase(s, clock, t, hold), steady=True)
    out += one_event(ctx, "VVLoglineHmacSigningErrors", W, (), "vv_logline_hmac_errors_total",
                     ctx.labels("logline_generator"), {"job": "logline_generator", "site": site},
                     lambda s, t: promql.increase(s, clock, t, W), steady=True)
    out += one_event(ctx, "VVPipelineSchemaValidationErrors", W, (), STAGE_METRICS["logline"][2],
                     ctx.labels("logline_generator"), _stage_labels(ctx, "logline"),
                     lambda s, t: (r * 60 if (r := promql.rate(s, clock, t, W)) is not None else None), steady=True)
    # The schema-error record: a steady 3 a minute in every stage.
    series = [Series(errors, ctx.labels(STAGES[stage]), counter(3 / 60)) for stage, (_, _, errors) in STAGE_METRICS.items()]
    at = clock.eval_after(W + clock.step)
    out.append(Scenario(R.STAGE_SCHEMA_ERRORS_RATE, "expression", "3 schema errors a minute per stage", (),
                        tuple(series), tuple(close(at, f'{R.STAGE_SCHEMA_ERRORS_RATE}{{stage="{stage}"}}',
                                                   _stage_labels(ctx, stage), 0.05) for stage in STAGE_METRICS)))
    return out


def _burn(ctx) -> list[Scenario]:
    """Steady failure shares, so every window sees the same ratio: which severities fire follows
    from the share against factor x budget of each pair."""
    clock = ctx.clock
    alert = "VVPipelineErrorBudgetBurn"
    budget = 1 - ctx.value(T + "slo_target")
    keys = (T + "slo_target",)
    orch = ctx.labels("orchestrator")
    firing_labels = {"job": "orchestrator", "site": ctx.site["name"]}
    at = clock.eval_after(W + 2 * clock.step)
    cases = [
        ("fires", "just over the fast page burn", ratio_over(PAGE_BURNS[0][2] * budget)),
        ("fires", "just over the slow page burn", ratio_over(PAGE_BURNS[1][2] * budget)),
        ("near miss", "just under the slow page burn", just_under(PAGE_BURNS[1][2] * budget)),
        ("fires", "just over the slowest ticket burn", ratio_over(TICKET_BURNS[1][2] * budget)),
        ("near miss", "just under the slowest ticket burn", just_under(TICKET_BURNS[1][2] * budget)),
    ]
    out = []
    for kind, text, share in cases:
        ok = Series("vv_videos_processed_total", {**orch, "status": "success"}, counter(1 - share))
        bad = Series("vv_videos_processed_total", {**orch, "status": "failure"}, counter(share))
        firing = [Firing(firing_labels, share, severity)
                  for severity, pairs in (("critical", PAGE_BURNS), ("warning", TICKET_BURNS))
                  if any(share > factor * budget for _, _, factor in pairs)]
        checks = [fires(at, alert, *firing) if firing else quiet(at, alert)]
        if kind == "fires" and share == cases[0][2]:
            checks += [close(at, f"{R.slo_error_ratio(w)}", firing_labels, share) for w in R.SLO_WINDOWS]
        out.append(Scenario(alert, kind, f"{share:.6g} of videos failing, {text}", keys, (ok, bad), tuple(checks)))
    out.append(Scenario(alert, "absent data", "no videos at all", keys,
                        (Series("vv_videos_in_input_queue", orch, gauge(0)),), (quiet(at, alert),)))
    return out


def _burning(ctx, ok, bad, at, budget) -> list:
    """The burn alerts Prometheus reports at `at`, from the window ratios: per severity, the first
    pair whose long and short windows are both over factor x budget; its value is the long one's."""
    ratios = {}
    for w in R.SLO_WINDOWS:
        r_ok, r_bad = (promql.rate(s, ctx.clock, at, w) for s in (ok, bad))
        ratios[w] = r_bad / (r_ok + r_bad) if r_ok is not None and r_bad is not None and r_ok + r_bad else None
    labels = {"job": "orchestrator", "site": ctx.site["name"]}
    out = []
    for severity, pairs in (("critical", PAGE_BURNS), ("warning", TICKET_BURNS)):
        for long, short, factor in pairs:
            limit = factor * budget
            if ratios[long] is not None and ratios[short] is not None and ratios[long] > limit and ratios[short] > limit:
                out.append(Firing(labels, ratios[long], severity))
                break
    return out


def _burn_history(ctx) -> list[Scenario]:
    """On the hourly clock: five clean hours, then an hour just over the fast burn. Only the fast
    page pair (1h/5m) sees it; the 6h window holds a sixth of it, under the slow pair's factor."""
    clock = ctx.clock
    alert = "VVPipelineErrorBudgetBurn"
    budget = 1 - ctx.value(T + "slo_target")
    orch = ctx.labels("orchestrator")
    at = clock.eval_at_or_after(6 * 3600)
    start = clock.sample_at_or_before(at - 3600 - clock.step)   # failing a little over the hour
    out = []
    for kind, share in (("fires", ratio_over(PAGE_BURNS[0][2] * budget)),
                        ("near miss", just_under(PAGE_BURNS[0][2] * budget))):
        ok = Series("vv_videos_processed_total", {**orch, "status": "success"},
                    lambda t, s=share: t - s * max(0.0, t - start))
        bad = Series("vv_videos_processed_total", {**orch, "status": "failure"},
                     lambda t, s=share: s * max(0.0, t - start))
        firing = _burning(ctx, ok, bad, at, budget)
        if kind == "fires" and not any(f.severity == "critical" for f in firing):
            continue                     # the slow pair's window outweighs the hour at this budget
        pages = [f for f in firing if f.severity == "critical"]
        if kind == "near miss" and pages:
            continue
        out.append(Scenario(alert, kind, f"5h clean, then {share:.6g} failing for an hour: the fast pair "
                            f"{'pages' if pages else 'stays quiet'}", (T + "slo_target",), (ok, bad),
                            (fires(at, alert, *firing) if firing else quiet(at, alert),)))
    return out


def _failing(profile, at):
    """A steady video a second from t=0, failing at share v in each age band (age_from, age_to, v)
    before `at` (ages in seconds), clean elsewhere: the (success, failure) counter values at t."""
    def failed(t):
        # Seconds of failure from 0 to t: each band overlaps [0, t] in times at - age_to .. at - age_from.
        return sum(v * max(0.0, min(t, at - lo) - max(0.0, at - hi)) for lo, hi, v in profile)
    return (lambda t: t - failed(t)), failed


def _ticket_alone(ctx) -> list[Scenario]:
    """On the daily clock, half as much history again as its long window: the slow ticket pair
    (1d/2h at 3x) over its factor
    in both its windows, while the next longer window of each (6h, 3d) and both page pairs stay
    under theirs; and near misses just under its long window, and recovered in its short one.

    The other ticket pair (3d/6h at 1x) cannot stay quiet when this one fires (3x over a third of
    each window is at least 1x over the whole): `or` keeps the left side, so the alert's value, the
    1d ratio, tells this pair from it (and in the first near miss the 3d ratio shows this pair
    quiet). A mutation of this pair's long window (to 3d or 6h) or short window (to 6h or 3d; to 1d
    in the recovered case) changes the value or the verdict."""
    clock = ctx.clock
    alert = "VVPipelineErrorBudgetBurn"
    budget = 1 - ctx.value(T + "slo_target")
    orch = ctx.labels("orchestrator")
    long, short, factor = TICKET_BURNS[0]
    windows = sorted(R.SLO_WINDOWS, key=seconds)
    lw, sw = seconds(long), seconds(short)
    next_short = min((w for w in windows if seconds(w) > sw), key=seconds)   # 6h: just longer than `short`
    longest = windows[-1]                                                     # 3d
    after_short = seconds(next_short)
    # The longest window reaches back to t=0: it sees the long window's failures and clean history.
    at = clock.eval_at_or_after(1.5 * lw)
    limit = factor * budget
    # Failing at 1.5x the limit in the short window, clean to the next window, then enough to put
    # the long window 1.125x over the limit.
    recent = 1.5 * limit

    def profile(recent, long_ratio):
        """`recent` in the short window, clean to after_short, then what puts the long window at long_ratio."""
        return ((0, sw, recent), (after_short, lw, (long_ratio * lw - recent * sw) / (lw - after_short)))

    cases = [("fires", f"{short} and {long} over {factor:g}x the budget, {next_short} and {longest} under",
              profile(recent, 1.125 * limit)),
             ("near miss", f"the same, {long} just under {factor:g}x the budget", profile(recent, just_under(limit))),
             ("near miss", f"{long} over {factor:g}x the budget, {short} clean (recovered)", profile(0, 1.125 * limit))]
    out = []
    for kind, text, profile in cases:
        ok_value, bad_value = _failing(profile, at)
        ok = Series("vv_videos_processed_total", {**orch, "status": "success"}, ok_value)
        bad = Series("vv_videos_processed_total", {**orch, "status": "failure"}, bad_value)
        firing = _burning(ctx, ok, bad, at, budget)
        ratio = lambda w, ok=ok, bad=bad: (promql.rate(bad, clock, at, w) or 0) / (promql.rate(ok, clock, at, w) + promql.rate(bad, clock, at, w))  # noqa: E731
        if any(f.severity == "critical" for f in firing) or ratio(after_short) > limit or ratio(longest) > limit:
            continue                     # not this pair alone at this budget: no proof of its windows
        if (kind == "fires") != (bool(firing) and abs(firing[0].value - ratio(lw)) < 1e-12):
            continue
        out.append(Scenario(alert, kind, f"ticket pair {long}/{short} alone: {text}", (T + "slo_target",), (ok, bad),
                            (fires(at, alert, *firing) if firing else quiet(at, alert),)))
    return out


# Scenarios with hours of history run on an hourly clock of their own (pipeline_hourly.yml), those
# with days of it on one evaluating an eighth of the slow ticket pair's long window (pipeline_daily.yml).
TIMESCALES = {"hourly": "1h", "daily": lambda inv: seconds(TICKET_BURNS[0][0]) / 8}


def WINDOWS(inv, timescale: str):  # noqa: N802  (the scenario module hook)
    """The hourly and daily scenarios exercise the SLO windows alone: their clocks fit those (samples
    minutes apart over days), not the inventory's `for`s; the main clock fits every window."""
    return [seconds(w) for w in R.SLO_WINDOWS] if timescale in ("hourly", "daily") else None
# Steady scenarios wait through thresholds.pipeline.for or stalled_for (pipeline_steady.yml).
STEADY = lambda inv: min(seconds(inv["thresholds"]["pipeline"][k]) for k in ("for", "stalled_for"))  # noqa: E731


def scenarios(ctx):
    if ctx.timescale == "hourly":
        return _burn_history(ctx)
    if ctx.timescale == "daily":
        return _ticket_alone(ctx)
    return [*_error_ratio(ctx), *_latency(ctx), *_backlog(ctx), *_stall(ctx), *_events(ctx), *_burn(ctx)]
