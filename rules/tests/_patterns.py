"""Scenario shapes several areas share: a 0/1 state held for a `for`, time since a last success,
and an alert on any increase of a counter within a window."""

from __future__ import annotations

from vvdash.scenarios import Firing, Scenario, Series, fires, gauge, promql, quiet, steps


def down_for(ctx, alert: str, hold: float, keys, metric: str, labels: dict, firing_labels: dict,
             down=0, up=1, value=None, others=(), absent_fires=False) -> list[Scenario]:
    """`metric == down` held for `hold`: pending edge, a drop one sample too short, the series ending
    (quiet, or firing when the rule reads a missing series as down). `value` is the alert's value
    (default: `down`); `others` are series fed alongside."""
    clock = ctx.clock
    drop = clock.sample_after(2 * clock.evaluation)           # first sample reading `down`
    fire_at = clock.fires_at(drop, hold)
    back = clock.sample_at_or_before(fire_at - 1e-3)          # last sample before it would fire
    firing = Firing(firing_labels, down if value is None else value)
    held = ctx.value(keys[0]) if keys else f"{hold:g}s"
    out = [
        Scenario(alert, "for edge", f"{down} from {drop:g}s: pending one evaluation before {held}, then firing",
                 keys, (Series(metric, labels, steps((0, up), (drop, down))), *others),
                 (quiet(fire_at - clock.evaluation, alert, "still pending"), fires(fire_at, alert, firing))),
        Scenario(alert, "absent data", f"{up}, then the series ends", keys,
                 (Series(metric, labels, steps((0, up), (drop, None))), *others),
                 (quiet(fire_at, alert), (fires if absent_fires else quiet)(
                     clock.fires_at(clock.eval_after(drop - clock.step + promql.LOOKBACK), hold), alert,
                     *((firing,) if absent_fires else ())))),
    ]
    if back > drop:                                           # a sample fits between: a drop just too short
        out.append(Scenario(
            alert, "near miss", f"{down} from {drop:g}s to {back:g}s, shorter than {held}", keys,
            (Series(metric, labels, steps((0, up), (drop, down), (back, up))), *others),
            (quiet(clock.eval_after(drop), alert), quiet(fire_at, alert))))
    return out


def stale(ctx, alert: str, limit: float, keys, metric: str, labels: dict, firing_labels: dict) -> list[Scenario]:
    """`time() - last success > limit`: quiet at the last evaluation within the limit, firing at the
    first one past it (value: the age), and no series at all."""
    clock = ctx.clock
    last = clock.offset                                        # the last success, at the first sample
    over = clock.eval_after(last + limit)
    success = Series(metric, labels, gauge(last))
    out = [
        Scenario(alert, "fires", f"last success at {last:g}s, {limit:g}s allowed", keys, (success,),
                 (quiet(over - clock.evaluation, alert, "just within the limit"),
                  fires(over, alert, Firing(firing_labels, over - last)))),
        Scenario(alert, "absent data", "never succeeded: no series (VVJobAbsent's case)", keys,
                 (Series("up", labels, gauge(1)),), (quiet(over, alert),)),
    ]
    if limit > clock.step:
        out.append(Scenario(alert, "near miss", "successes keep coming, the newest always within the limit",
                            keys, (Series(metric, labels, lambda t: t),), (quiet(over, alert),)))
    return out


def one_event(ctx, alert: str, window: float, keys, metric: str, labels: dict, firing_labels: dict,
              measure, others=(), steady: bool = False) -> list[Scenario]:
    """Alerts on any increase within `window`: an event, the window edge after it, a steady counter.
    `measure(series, t)` is the alert's value; `others` are series fed alongside (e.g. successes);
    `steady`: the near miss runs on the module's steady clock (Scenario.steady)."""
    clock = ctx.clock
    at = clock.sample_after(window + 2 * clock.evaluation)
    event = Series(metric, labels, steps((0, 0), (at, 2)))
    seen = promql.first_eval(clock, lambda t: (measure(event, t) or 0) > 0, start=at)
    gone = promql.first_eval(clock, lambda t: not (measure(event, t) or 0) > 0, start=seen)
    last = gone - clock.evaluation
    return [
        Scenario(alert, "window edge", f"2 at {at:g}s, then no more", keys, (event, *others),
                 (quiet(seen - clock.evaluation, alert, "before the event"),
                  fires(seen, alert, Firing(firing_labels, measure(event, seen))),
                  fires(last, alert, Firing(firing_labels, measure(event, last))),
                  quiet(gone, alert, "the event has left the window"))),
        Scenario(alert, "near miss", "a counter at 7, not moving", keys,
                 (Series(metric, labels, gauge(7)), *others), (quiet(gone, alert),), steady=steady),
    ]
