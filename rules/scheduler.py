"""TV scheduler: playlists stale, generation failures."""

from __future__ import annotations

from rules._common import RATE_WINDOW, AlertTexts, seconds, window
from shared import records as R
from shared.dashboards import uid as dashboard_uid
from shared.exprs import seconds_since_success
from vvdash.jobs import selector
from vvdash.model.rules import Alert, Group, Record, Severity

alert = AlertTexts(__name__)


def _alerts(inv) -> list[Alert]:
    periods = inv.thresholds("scheduler")("stale_periods")
    period = inv["pipeline"]["tv_scheduler"]["period_seconds"]
    stale = periods * period
    stale_window = window(inv, stale, "thresholds.scheduler.stale_periods × pipeline.tv_scheduler.period_seconds")
    sel = selector("tv_scheduler")
    dash = dashboard_uid("tv_dvr")
    return [
        alert(alert="VVSchedulerPlaylistsStale", severity=Severity.WARNING, dashboard=dash,
              expr=f"{seconds_since_success('vv_tv_scheduler_last_success_timestamp_seconds', 'tv_scheduler')} "
                   f"> {seconds(stale)}",
              values={"periods": periods, "period": seconds(period)}),
        alert(alert="VVSchedulerGenerationFailures", severity=Severity.WARNING, dashboard=dash,
              expr=f'sum by (site, job, tv_id) (increase(vv_tv_scheduler_playlists_generated_total{{{sel}, '
                   f'status="failure"}}[{stale_window}])) > 0',
              values={"stale": seconds(stale)}),
    ]


def _records() -> list[Record]:
    sel = selector("tv_scheduler")
    return [Record(record=R.PLAYLIST_DURATION_BUCKET_RATE,
                   expr=f"sum by (site, job, tv_id, le) (rate(vv_tv_scheduler_generation_duration_seconds_bucket{{{sel}}}"
                   f"[{RATE_WINDOW}]))")]


def groups(inv) -> list[Group]:
    return [Group(name="vv_scheduler_records", rules=tuple(_records())), Group(name="vv_scheduler_alerts", rules=tuple(_alerts(inv)))]
