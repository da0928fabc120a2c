"""Scenarios for rules/dvr.py: disconnected, connection errors, no segments, probe failing or slow."""

from __future__ import annotations

from rules._common import RATE_WINDOW
from rules.tests._patterns import down_for
from vvdash.scenarios import (Firing, Scenario, Series, counter, fires, gauge, just_over, just_under, promql, quiet,
                              steps)

# The connection-errors alert reads the dashboards' recorded rate (shared/exprs.py), evaluated
# before the alerts here (group_eval_order); in Prometheus it lags at most one evaluation.
RULE_FILES = ("dashboard_rates", "dvr")
T = "thresholds.dvr."
# Far over a limit; not a round factor, so no ramp-up fraction of a window meets it exactly.
MANY = 7.3


def _dvrs(ctx) -> list[dict]:
    return ctx.site["dvrs"] or [{"name": "dvr1", "address": "127.0.0.1", "port": 8554}]


def scenarios(ctx):
    clock = ctx.clock
    out: list[Scenario] = []
    dvr = _dvrs(ctx)[0]
    name = dvr["name"]
    agent = ctx.labels("agent_dvr", dvr=name)
    sel = {"job": agent["job"], "site": agent["site"], "dvr": name}
    probe = {"job": "blackbox_dvr", "instance": f"{dvr['address']}:{dvr['port']}", "site": ctx.site["name"],
             "dvr": name}

    # -- disconnected and probe failing: 0/1 states held for `disconnected_for` ------------------
    hold = ctx.seconds(T + "disconnected_for")
    keys = (T + "disconnected_for",)
    out += down_for(ctx, "VVDvrDisconnected", hold, keys, "vv_agent_dvr_connection_status", agent, sel)
    out += down_for(ctx, "VVDvrProbeFailing", hold, keys, "probe_success", probe, probe)

    # -- connection errors: per-minute rate against the limit, for `for` -------------------------
    limit = ctx.value(T + "connection_errors_per_minute")
    hold = ctx.seconds(T + "for")
    keys = (T + "connection_errors_per_minute", T + "for")
    alert = "VVDvrConnectionErrors"
    for kind, per_minute in (("fires", just_over(limit)), ("near miss", just_under(limit))):
        errors = Series("vv_agent_dvr_connection_errors_total", agent, counter(per_minute / 60))
        rate = lambda t, s=errors: (promql.rate(s, clock, t, RATE_WINDOW) or 0) * 60  # noqa: E731
        steady = clock.eval_after(promql.seconds(RATE_WINDOW) + clock.step)   # window full of samples
        at = clock.fires_at(steady, hold)
        if kind == "fires":
            true_from = promql.first_eval(clock, lambda t, r=rate: r(t) > limit)
            edge = clock.fires_at(true_from, hold)
            checks = (quiet(edge - clock.evaluation, alert, "still pending"),
                      fires(edge, alert, Firing(sel, rate(edge))), fires(at, alert, Firing(sel, rate(at))))
            text = f"{per_minute:g} errors a minute, just over {limit:g}"
        else:
            checks = (quiet(at, alert),)
            text = f"{per_minute:g} errors a minute, just under {limit:g}"
        out.append(Scenario(alert, kind, text, keys, (errors,), checks))
    # Window edge: a burst well over the limit, then none: quiet once the burst leaves the window.
    burst_until = clock.sample_after(hold + 2 * promql.seconds(RATE_WINDOW))
    burst = Series("vv_agent_dvr_connection_errors_total", agent,
                   counter(MANY * limit / 60, start=0, until=burst_until))
    gone = clock.eval_after(burst_until + promql.seconds(RATE_WINDOW))
    last_in = promql.first_eval(clock, lambda t: (promql.rate(burst, clock, t, RATE_WINDOW) or 0) * 60 <= limit,
                                start=burst_until) - clock.evaluation
    out.append(Scenario(alert, "window edge", f"a burst of {MANY * limit:g} a minute stops at {burst_until:g}s",
                        keys, (burst,),
                        (fires(last_in, alert, Firing(sel, promql.rate(burst, clock, last_in, RATE_WINDOW) * 60)),
                         quiet(last_in + clock.evaluation, alert, "the burst has left the window"),
                         quiet(gone, alert))))

    # -- connected without segments: time since the last segment against no_segments_for ---------
    limit_s = ctx.seconds(T + "no_segments_for")
    keys = (T + "no_segments_for", T + "for")
    alert = "VVDvrNoSegments"
    connected = Series("vv_agent_dvr_connection_status", agent, gauge(1))
    last = clock.offset                              # the one segment, written at the first sample
    stale = Series("vv_agent_dvr_last_segment_timestamp_seconds", agent, gauge(last))
    edge = clock.fires_at(clock.eval_after(last + limit_s), hold)
    out.append(Scenario(alert, "for edge", f"last segment at {last:g}s, connected", keys, (connected, stale),
                        (quiet(edge - clock.evaluation, alert, "still pending"),
                         fires(edge, alert, Firing(sel, edge - last)))))
    # Segments keep coming, the newest always just over / just under the limit old.
    long_after = clock.fires_at(clock.fires_at(clock.step + limit_s, hold), hold)
    lag_over = Series("vv_agent_dvr_last_segment_timestamp_seconds", agent, lambda t: t - limit_s)
    lag_under = Series("vv_agent_dvr_last_segment_timestamp_seconds", agent, lambda t: t - limit_s + clock.step)
    newest = clock.sample_at_or_before(long_after)
    out.append(Scenario(alert, "fires", "the newest segment always just over the limit old", keys,
                        (connected, lag_over), (fires(long_after, alert, Firing(sel, long_after - newest + limit_s)),)))
    out.append(Scenario(alert, "near miss", "the newest segment always just under the limit old", keys,
                        (connected, lag_under), (quiet(long_after, alert),)))
    disconnected = Series("vv_agent_dvr_connection_status", agent, gauge(0))
    unset = Series("vv_agent_dvr_last_segment_timestamp_seconds", agent, gauge(0))
    out.append(Scenario(alert, "near miss", "stale but disconnected (VVDvrDisconnected's case)", keys,
                        (disconnected, stale), (quiet(edge, alert),)))
    out.append(Scenario(alert, "absent data", "connected, no segment timestamp yet (0)", keys,
                        (connected, unset), (quiet(edge, alert),)))

    # -- probe slow: probe duration against probe_slow_seconds, for `for` ------------------------
    limit = ctx.value(T + "probe_slow_seconds")
    keys = (T + "probe_slow_seconds", T + "for")
    alert = "VVDvrProbeSlow"
    slow_from = clock.sample_after(2 * clock.evaluation)
    edge = clock.fires_at(slow_from, hold)
    over, under = just_over(limit), just_under(limit)
    slow = Series("probe_duration_seconds", probe, steps((0, under), (slow_from, over)))
    out.append(Scenario(alert, "for edge", f"{over:g}s from {slow_from:g}s, {under:g}s before", keys, (slow,),
                        (quiet(edge - clock.evaluation, alert, "still pending"),
                         fires(edge, alert, Firing(probe, over)))))
    out.append(Scenario(alert, "near miss", f"{under:g}s, just under {limit:g}s", keys,
                        (Series("probe_duration_seconds", probe, gauge(under)),), (quiet(clock.fires_at(edge, hold), alert),)))
    return out
