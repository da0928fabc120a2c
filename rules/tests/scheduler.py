"""Scenarios for rules/scheduler.py: playlists stale, generation failures (window: stale_periods
scheduler periods)."""

from __future__ import annotations

from rules.tests._patterns import one_event, stale
from vvdash.scenarios import Series, counter, promql

KEYS = ("thresholds.scheduler.stale_periods", "pipeline.tv_scheduler.period_seconds")


def scenarios(ctx):
    clock = ctx.clock
    window = ctx.value(KEYS[0]) * ctx.value(KEYS[1])
    labels = ctx.labels("tv_scheduler")
    site = {"job": labels["job"], "site": labels["site"]}
    tv = (ctx.site["tvs"] or [{"id": "tv1"}])[0]["id"]
    out = stale(ctx, "VVSchedulerPlaylistsStale", window, KEYS, "vv_tv_scheduler_last_success_timestamp_seconds",
                labels, site)
    name = "vv_tv_scheduler_playlists_generated_total"
    successes = Series(name, {**labels, "tv_id": tv, "status": "success"}, counter(1 / clock.step))
    out += one_event(ctx, "VVSchedulerGenerationFailures", window, KEYS, name,
                     {**labels, "tv_id": tv, "status": "failure"}, {**site, "tv_id": tv},
                     lambda s, t: promql.increase(s, clock, t, window), others=(successes,))
    return out
