"""Scenarios for rules/meta.py: the heartbeat, Prometheus's sends to Alertmanager (failing,
dropped, no Alertmanager), config reloads of both, rule groups slower than their interval."""

from __future__ import annotations

from rules._common import RATE_WINDOW
from vvdash.scenarios import Firing, Scenario, Series, counter, fires, gauge, just_over, just_under, promql, quiet, \
    seconds, steps

T = "thresholds.meta."
W = seconds(RATE_WINDOW)


def _heartbeat(ctx) -> list[Scenario]:
    clock = ctx.clock
    alert = "VVAlertingHeartbeat"
    later = clock.eval_after(2 * ctx.seconds(T + "for"))      # still firing once any `for` of its group has passed
    # vector(1) reads no series: any series beside it changes nothing; it cannot be made quiet.
    other = Series("up", ctx.labels("prometheus"), gauge(1))
    return [Scenario(alert, "fires", "always, from the first evaluation on", ("alerting.heartbeat.repeat_interval",),
                     (other,), (fires(clock.evaluation, alert, Firing({}, 1)), fires(later, alert, Firing({}, 1))))]


def _sends_failing(ctx) -> list[Scenario]:
    """errors / sent over the rate window against notification_error_ratio, held for `for`."""
    clock = ctx.clock
    alert = "VVPrometheusNotificationsFailing"
    limit, hold = ctx.value(T + "notification_error_ratio"), ctx.seconds(T + "for")
    keys = (T + "notification_error_ratio", T + "for")
    labels = ctx.labels("prometheus", alertmanager="http://alertmanager:9093/api/v2/alerts")
    out_labels = {k: labels[k] for k in ("job", "instance", "site")}
    sent_per_second = 10.0
    out = []
    for kind, share in (("fires", min(1.0, just_over(limit))), ("near miss", just_under(limit))):
        sent = Series("prometheus_notifications_sent_total", labels, counter(sent_per_second))
        errors = Series("prometheus_notifications_errors_total", labels, counter(sent_per_second * share))
        ratio = lambda t, e=errors, s=sent: ((promql.rate(e, clock, t, W) or 0) /  # noqa: E731
                                             (promql.rate(s, clock, t, W) or float("inf")))
        steady = clock.eval_after(W + clock.step)
        if kind == "fires":
            true_from = promql.first_eval(clock, lambda t, r=ratio: r(t) > limit)
            edge = clock.fires_at(true_from, hold)
            checks = (quiet(edge - clock.evaluation, alert, "still pending"),
                      fires(edge, alert, Firing(out_labels, ratio(edge))))
        else:
            checks = (quiet(clock.fires_at(steady, hold), alert),)
        out.append(Scenario(alert, kind, f"{share:.6g} of sends failing against {limit:g}", keys, (sent, errors),
                            checks))
    # Every send succeeding: errors stay 0 while sends go on.
    out.append(Scenario(alert, "near miss", "sends going on, none failing", keys,
                        (Series("prometheus_notifications_sent_total", labels, counter(sent_per_second)),
                         Series("prometheus_notifications_errors_total", labels, gauge(0))),
                        (quiet(clock.fires_at(clock.eval_after(W + clock.step), hold), alert),)))
    return out


def _held_zero(ctx, alert: str, metric: str, component: str) -> list[Scenario]:
    """A 0/1 gauge read through max_over_time(...[rate window]) == 0 (or < 1), held for `for`:
    firing once a 0 has filled the window for `for`; a single 0 between 1s stays quiet."""
    clock = ctx.clock
    hold = ctx.seconds(T + "for")
    keys = (T + "for",)
    labels = ctx.labels(component)
    out_labels = {k: labels[k] for k in ("job", "instance", "site")}
    drop = clock.sample_after(2 * clock.evaluation)
    # max_over_time turns 0 at the first evaluation whose window holds no 1 any more.
    last_one = clock.sample_at_or_before(drop - 1e-3)
    true_from = promql.first_eval(clock, lambda t: not clock.in_window(last_one, t, W), start=drop)
    edge = clock.fires_at(true_from, hold)
    blip_back = clock.sample_after(drop)
    return [
        Scenario(alert, "for edge", f"0 from {drop:g}s", keys, (Series(metric, labels, steps((0, 1), (drop, 0))),),
                 (quiet(edge - clock.evaluation, alert, "still pending"), fires(edge, alert, Firing(out_labels, 0)))),
        Scenario(alert, "near miss", f"a single 0 at {drop:g}s between 1s", keys,
                 (Series(metric, labels, steps((0, 1), (drop, 0), (blip_back, 1))),),
                 (quiet(edge, alert), quiet(clock.eval_at_or_after(edge + hold), alert))),
    ]


def _rule_group_slow(ctx) -> list[Scenario]:
    clock = ctx.clock
    alert = "VVPrometheusRuleGroupSlow"
    hold = ctx.seconds(T + "for")
    keys = (T + "for",)
    interval = ctx.seconds("prometheus.evaluation_interval")
    labels = ctx.labels("prometheus", rule_group="/etc/prometheus/rules/pipeline.yml;vv_pipeline_alerts")
    out_labels = {k: labels[k] for k in ("job", "instance", "site", "rule_group")}
    slow_from = clock.sample_after(2 * clock.evaluation)
    edge = clock.fires_at(slow_from, hold)
    over, under = just_over(interval), just_under(interval)
    every = Series("prometheus_rule_group_interval_seconds", labels, gauge(interval))
    slow = Series("prometheus_rule_group_last_duration_seconds", labels, steps((0, under), (slow_from, over)))
    return [
        Scenario(alert, "for edge", f"{over:g}s from {slow_from:g}s against a {interval:g}s interval", keys,
                 (every, slow), (quiet(edge - clock.evaluation, alert, "still pending"),
                                 fires(edge, alert, Firing(out_labels, over)))),
        Scenario(alert, "near miss", f"{under:g}s, just within the {interval:g}s interval", keys,
                 (every, Series("prometheus_rule_group_last_duration_seconds", labels, gauge(under))),
                 (quiet(clock.eval_at_or_after(edge + hold), alert),)),
    ]


def _dropped(ctx) -> list[Scenario]:
    """Any increase of the dropped counter within the rate window, held for `for`: drops going on
    fire; one burst (an Alertmanager restart) leaves the window before `for` has passed."""
    clock = ctx.clock
    alert = "VVPrometheusNotificationsDropped"
    hold = ctx.seconds(T + "for")
    keys = (T + "for",)
    labels = ctx.labels("prometheus")
    out_labels = {k: labels[k] for k in ("job", "instance", "site")}
    going = Series("prometheus_notifications_dropped_total", labels, counter(0.1))
    increase = lambda t, s=going: promql.increase(s, clock, t, W) or 0  # noqa: E731
    true_from = promql.first_eval(clock, lambda t: increase(t) > 0)
    edge = clock.fires_at(true_from, hold)
    burst_at = clock.sample_after(2 * clock.evaluation)
    burst = Series("prometheus_notifications_dropped_total", labels, steps((0, 0), (burst_at, 5)))
    out = [Scenario(alert, "for edge", "0.1 alerts a second dropped", keys, (going,),
                    (quiet(edge - clock.evaluation, alert, "still pending"),
                     fires(edge, alert, Firing(out_labels, increase(edge)))))]
    if hold > W:     # with a `for` shorter than the window, one burst does fire
        out.append(Scenario(alert, "near miss", f"5 dropped at {burst_at:g}s, then none", keys, (burst,),
                            (quiet(clock.fires_at(burst_at, hold), alert),
                             quiet(clock.eval_at_or_after(clock.fires_at(burst_at, hold) + hold), alert))))
    else:
        out.append(Scenario(alert, "near miss", "a counter at 7, not moving", keys,
                            (Series("prometheus_notifications_dropped_total", labels, gauge(7)),),
                            (quiet(edge, alert),)))
    return out


def scenarios(ctx):
    clock = ctx.clock
    out = _heartbeat(ctx) + _sends_failing(ctx)
    prom = ctx.labels("prometheus")
    out += _dropped(ctx)
    out += _held_zero(ctx, "VVPrometheusNoAlertmanagers", "prometheus_notifications_alertmanagers_discovered",
                      "prometheus")
    out += _held_zero(ctx, "VVPrometheusConfigReloadFailed", "prometheus_config_last_reload_successful", "prometheus")
    out += _held_zero(ctx, "VVAlertmanagerConfigReloadFailed", "alertmanager_config_last_reload_successful",
                      "alertmanager")
    out += _rule_group_slow(ctx)
    return out
