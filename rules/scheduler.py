"""TV scheduler: playlists stale, generation failures."""

from __future__ import annotations

from rules._common import RATE_WINDOW, runbook, seconds, window
from shared import records as R
from shared.dashboards import uid as dashboard_uid
from shared.exprs import seconds_since_success
from vvdash.jobs import selector
from vvdash.model.rules import Alert, Group, Record, Severity


def _alerts(inv) -> list[Alert]:
    periods = inv.thresholds("scheduler")("stale_periods")
    period = inv["pipeline"]["tv_scheduler"]["period_seconds"]
    stale = periods * period
    stale_window = window(inv, stale, "thresholds.scheduler.stale_periods × pipeline.tv_scheduler.period_seconds")
    sel = selector("tv_scheduler")
    dash = dashboard_uid("tv_dvr")
    return [
        Alert(
            alert="VVSchedulerPlaylistsStale",
            expr=f"{seconds_since_success('vv_tv_scheduler_last_success_timestamp_seconds', 'tv_scheduler')} "
            f"> {seconds(stale)}",
            severity=Severity.WARNING, summary="TV playlists are not being refreshed.",
            description="The TV scheduler at site {{ $labels.site }} last produced playlists {{ $value | humanizeDuration }} "
            f"ago ({periods} periods of {seconds(period)}s allowed).",
            dashboard=dash, runbook=runbook(
                f"No successful scheduling run within {periods} scheduler periods; TVs show old content.",
                ["tv_scheduler hung or crashing.", "No signed loglines arriving.", "The playlist folder not writable."],
                ["TV scheduler and DVR dashboard: playlists per TV and loglines processed.",
                 "tv_scheduler log.", "Rejected loglines by reason."])),
        Alert(
            alert="VVSchedulerGenerationFailures",
            expr=f'sum by (site, job, tv_id) (increase(vv_tv_scheduler_playlists_generated_total{{{sel}, '
            f'status="failure"}}[{stale_window}])) > 0',
            severity=Severity.WARNING, summary="TV playlist generation is failing.",
            description="{{ $value | humanize }} playlist generations for TV {{ $labels.tv_id }} at site {{ $labels.site }} "
            f"failed in the last {seconds(stale)}s.",
            dashboard=dash, runbook=runbook(
                "Generating a TV's playlist ended in an error.",
                ["A TV entry in vvdash.yaml with impossible constraints.", "Playlist folder permissions."],
                ["TV scheduler and DVR dashboard: playlists per TV by status.", "tv_scheduler log for the TV."])),
    ]


def _records() -> list[Record]:
    sel = selector("tv_scheduler")
    return [Record(record=R.PLAYLIST_DURATION_BUCKET_RATE,
                   expr=f"sum by (site, job, tv_id, le) (rate(vv_tv_scheduler_generation_duration_seconds_bucket{{{sel}}}"
                   f"[{RATE_WINDOW}]))")]


def groups(inv) -> list[Group]:
    return [Group(name="vv_scheduler_records", rules=tuple(_records())), Group(name="vv_scheduler_alerts", rules=tuple(_alerts(inv)))]
