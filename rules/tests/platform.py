"""Scenarios for rules/platform.py: targets down, jobs absent, restart loops, Prometheus rule
evaluation failures and Alertmanager notification failures."""

from __future__ import annotations

from rules._common import RATE_WINDOW
from rules.platform import scraped_jobs
from rules.tests._patterns import down_for, one_event
from vvdash.jobs import PUSHED_JOBS, job as job_name
from vvdash.scenarios import Firing, Scenario, Series, counter, fires, gauge, just_over, just_under, promql, \
    quiet, seconds, steps

T = "thresholds.platform."
W = seconds(RATE_WINDOW)


def _absent(ctx) -> list[Scenario]:
    clock = ctx.clock
    alert = "VVJobAbsent"
    hold = ctx.seconds(T + "target_down_for")
    keys = (T + "target_down_for",)
    site = ctx.site["name"]
    scraped = scraped_jobs(ctx.inv)
    pushed = [job_name(j) for j in PUSHED_JOBS]

    def present(missing=(), ends=None):
        series = []
        for job in scraped:
            value = steps((0, 1), (ends, None)) if job in missing and ends else (None if job in missing else gauge(1))
            if value is not None:
                series.append(Series("up", {"job": job, "instance": "h", "site": site}, value))
        for job in pushed:
            if job not in missing:
                series.append(Series("push_time_seconds", {"job": job, "instance": "", "site": site}, gauge(1)))
        return tuple(series)

    gone_job = scraped[-1]
    stop = clock.sample_after(2 * clock.evaluation)
    absent_from = clock.eval_after(stop - clock.step + promql.LOOKBACK)   # no sample within the lookback
    edge = clock.fires_at(absent_from, hold)
    never = clock.fires_at(0, hold)
    return [
        Scenario(alert, "for edge", f"{gone_job} stops at {stop:g}s, absent once its last sample is "
                 f"{promql.LOOKBACK:g}s old", keys, present((gone_job,), ends=stop),
                 (quiet(edge - clock.evaluation, alert, "still pending"),
                  fires(edge, alert, Firing({"job": gone_job}, 1)))),
        Scenario(alert, "fires", f"{pushed[0]} never pushed", keys, present((pushed[0],)),
                 (fires(never, alert, Firing({"job": pushed[0]}, 1)),)),
        Scenario(alert, "near miss", "every job present", keys, present(), (quiet(edge, alert),)),
    ]


def _restarts(ctx) -> list[Scenario]:
    clock = ctx.clock
    alert = "VVServiceRestartLoop"
    count = ctx.value(T + "restart_loop_count")
    window = ctx.seconds(T + "restart_loop_window")
    keys = (T + "restart_loop_count", T + "restart_loop_window")
    labels = ctx.labels("self_monitor", service="scan_video")
    out_labels = {"job": labels["job"], "site": labels["site"], "service": "scan_video"}
    at = clock.eval_after(window + 2 * clock.step)                      # the window full of samples
    out = []
    for kind, restarts in (("fires", just_over(count)), ("near miss", just_under(count))):
        series = Series("vv_self_monitor_container_restarts_triggered_total", labels, counter(restarts / window))
        got = promql.increase(series, clock, at, window)
        checks = (fires(at, alert, Firing(out_labels, got)),) if kind == "fires" else (quiet(at, alert),)
        out.append(Scenario(alert, kind, f"{restarts:.6g} restarts per {ctx.value(T + 'restart_loop_window')}, "
                            f"{count} allowed", keys, (series,), checks))
    return out


def scenarios(ctx):
    clock = ctx.clock
    hold = ctx.seconds(T + "target_down_for")
    up = ctx.labels("orchestrator")
    out = down_for(ctx, "VVTargetDown", hold, (T + "target_down_for",), "up", up, up)
    out += _absent(ctx)
    out += _restarts(ctx)
    prom = ctx.labels("prometheus", rule_group="vv_pipeline_alerts")
    out += one_event(ctx, "VVPrometheusRuleEvaluationFailures", W, (), "prometheus_rule_evaluation_failures_total",
                     prom, {"job": prom["job"], "site": prom["site"], "rule_group": "vv_pipeline_alerts"},
                     lambda s, t: promql.increase(s, clock, t, W))
    am = ctx.labels("alertmanager", integration="webhook")
    out += one_event(ctx, "VVAlertmanagerNotificationsFailing", W, (), "alertmanager_notifications_failed_total", am,
                     {"job": am["job"], "site": am["site"], "integration": "webhook"},
                     lambda s, t: promql.increase(s, clock, t, W))
    return out
