"""Scenarios for rules/maintenance.py: each pushed job stale or failed (window: stale_periods of
its period), and pushes the Pushgateway rejected. A job with a long window (the daily log export)
runs on a clock of its own, so days of samples stay cheap."""

from __future__ import annotations

from rules.maintenance import JOBS
from rules.tests._patterns import one_event, stale
from vvdash.jobs import job as job_name
from vvdash.scenarios import Firing, Scenario, Series, counter, fires, gauge, promql, quiet, seconds

PERIODS = "thresholds.maintenance.stale_periods"
# A job whose window is longer than this is tested on the "long" clock.
LONG = 3600


def _window(inv, job: str) -> float:
    return inv.thresholds("maintenance")("stale_periods") * inv["pipeline"][JOBS[job][0]]["period_seconds"]


def _evaluation(job: str):
    """About a hundred evaluations over the job's window, on whole multiples of the inventory's."""
    def evaluation(inv) -> float:
        base = seconds(inv["prometheus"]["evaluation_interval"])
        return base * max(1, int(_window(inv, job) / 96 // base))
    return evaluation


# A job with a long window gets a test file and clock of its own (maintenance_<job>.yml).
TIMESCALES = {job: _evaluation(job) for job in JOBS}


def WINDOWS(inv, timescale: str) -> list[float]:  # noqa: N802  (the scenario module hook)
    """The windows the scenarios of a timescale exercise: the clock fits those alone."""
    if timescale:
        return [_window(inv, timescale)]
    return [w for w in (_window(inv, job) for job in JOBS) if w <= LONG] or [LONG]


def _labels(ctx, job: str) -> dict:
    # Pushed through the Pushgateway with honor_labels: the pushing job's own labels.
    return {"job": job_name(job), "instance": "", "site": ctx.site["name"]}


def _job(ctx, job: str) -> list[Scenario]:
    clock = ctx.clock
    section, prefix, word = JOBS[job]
    keys = (PERIODS, f"pipeline.{section}.period_seconds")
    window = _window(ctx.inv, job)
    labels = _labels(ctx, job)
    site = {"job": labels["job"], "site": labels["site"]}
    out = stale(ctx, f"VV{word}Stale", window, keys, f"{prefix}_last_success_timestamp_seconds", labels, site)
    runs = f"{prefix}_runs_total"
    successes = Series(runs, {**labels, "status": "success"}, counter(1 / window))
    out += one_event(ctx, f"VV{word}Failed", window, keys, runs, {**labels, "status": "failure"}, site,
                     lambda s, t: promql.increase(s, clock, t, window), others=(successes,))
    return out


def _push(ctx) -> list[Scenario]:
    clock = ctx.clock
    alert = "VVPushgatewayPushFailing"
    job = next(iter(JOBS))
    labels = _labels(ctx, job)
    site = {"job": labels["job"], "site": labels["site"]}
    at = clock.eval_after(2 * clock.step)
    return [
        Scenario(alert, "fires", "the last push rejected after a good one", (),
                 (Series("push_failure_time_seconds", labels, gauge(200)),
                  Series("push_time_seconds", labels, gauge(100))), (fires(at, alert, Firing(site, 200)),)),
        Scenario(alert, "near miss", "a rejected push followed by a good one", (),
                 (Series("push_failure_time_seconds", labels, gauge(100)),
                  Series("push_time_seconds", labels, gauge(200))), (quiet(at, alert),)),
    ]


def scenarios(ctx):
    if ctx.timescale:
        return _job(ctx, ctx.timescale) if _window(ctx.inv, ctx.timescale) > LONG else []
    return [s for job in JOBS if _window(ctx.inv, job) <= LONG for s in _job(ctx, job)] + _push(ctx)
