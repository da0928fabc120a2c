"""TV scheduler and DVR: playlists per TV, loglines, DVR connection over time, segments, probe latency."""

from dashboards._common import (
    DOWNSAMPLED_MAX, DOWNSAMPLED_MIN, RECORDED, Scope, above, build, downsampled, jobs, q, recorded_resolution, row,
    scoped, since_success, stat, state_timeline, timeseries, value_map,
)
from shared import exprs
from shared import records as R
from vvdash.inventory import duration_seconds
from vvdash.model.dashboards import Unit

CONNECTION = value_map({0: ("Disconnected", "red"), 1: ("Connected", "green")})
PROBE = value_map({0: ("Failing", "red"), 1: ("OK", "green")})


def _panels(inv, sc: Scope) -> list:
    dvr = inv.thresholds("dvr")
    period = inv["pipeline"]["tv_scheduler"]["period_seconds"]
    stale = inv.thresholds("scheduler")("stale_periods") * period
    slow = dvr("probe_slow_seconds")
    no_segments = duration_seconds(dvr("no_segments_for"))
    return [
        row("TV scheduler"),
        timeseries("Playlists generated per TV",
                   "Playlists written per second, by TV and outcome. " + RECORDED,
                   Unit.OPS, [q(f"sum by (tv_id, status) "
                             f"({sc.rec(R.counter_rate('vv_tv_scheduler_playlists_generated_total'))})",
                             "{{tv_id}} {{status}}")], w=8),
        recorded_resolution(timeseries("Playlist generation duration p95",
                   "95th percentile of the time to build one TV's playlist, per TV, over the sites selected. "
                   + RECORDED,
                   Unit.SECONDS, [q(sc.quantile(R.PLAYLIST_DURATION_BUCKET_RATE, "0.95", by="tv_id"), "{{tv_id}}")],
                   w=8)),
        stat("Since last successful scheduler run",
             "Time since every playlist was last written. Red after scheduler.stale_periods periods of "
             "pipeline.tv_scheduler.period_seconds (the stale-playlists alert's threshold).",
             Unit.SECONDS, [q(since_success("vv_tv_scheduler_last_success_timestamp_seconds", "tv_scheduler", sc), instant=True)],
             thresholds=above(period * 1.5, stale), graph=False, w=8, h=8),
        timeseries("Loglines processed and rejected",
                   "Loglines read for playlists per second, and loglines skipped by reason "
                   "(tampered, unsigned, invalid). " + RECORDED,
                   Unit.OPS, [q(f"sum({sc.rec(R.counter_rate('vv_tv_scheduler_loglines_processed_total'))})", "processed"),
                           q(f"sum by (reason) ({sc.rec(R.counter_rate('vv_tv_scheduler_loglines_rejected_total'))})",
                             "rejected {{reason}}")], w=12),
        timeseries("Scheduler runs",
                   "Scheduler runs per second. " + RECORDED,
                   Unit.OPS, [q(f"sum({sc.rec(R.counter_rate('vv_tv_scheduler_runs_total'))})", "runs")], w=12),
        row("DVR"),
        downsampled(state_timeline("DVR connection state",
                       "agent_dvr's connection to each DVR over time. " + DOWNSAMPLED_MIN,
                       Unit.NONE, [q(f"max by (dvr) ({sc.over_step('vv_agent_dvr_connection_status')})", "{{dvr}}")],
                       mappings=CONNECTION, h=5)),
        timeseries("DVR connection errors per minute",
                   "Failed connections and dropped streams per minute, per DVR. Red at "
                   "dvr.connection_errors_per_minute, the connection-errors alert's threshold. " + RECORDED,
                   Unit.PER_MINUTE, [q(exprs.dvr_connection_errors_per_minute(sc.rec(exprs.DVR_CONNECTION_ERRORS_RATE), by="dvr"),
                             "{{dvr}}")],
                   thresholds=above(dvr("connection_errors_per_minute") / 2, dvr("connection_errors_per_minute")),
                   threshold_lines=True, min=0, w=8),
        timeseries("Segments created per minute",
                   "Video segments written to input/ per minute, per DVR. " + RECORDED,
                   Unit.PER_MINUTE, [q(f"sum by (dvr) ({sc.rec(R.counter_rate('vv_agent_dvr_video_segments_created_total'))}) * 60",
                             "{{dvr}}")], min=0, w=8),
        stat("Since last segment",
             "Time since the last segment was written, per DVR. Red after dvr.no_segments_for.",
             Unit.SECONDS, [q(f"max by (dvr) ({scoped(exprs.seconds_since_segment(), 'agent_dvr', sc)})", "{{dvr}}",
                     instant=True)],
             thresholds=above(no_segments / 2, no_segments), graph=False, w=8, h=8),
        timeseries("Frames captured",
                   "Frames read from each DVR stream per second. " + RECORDED,
                   Unit.PER_SECOND, [q(f"sum by (dvr) ({sc.rec(R.counter_rate('vv_agent_dvr_frames_captured_total'))})", "{{dvr}}")],
                   min=0, w=8),
        recorded_resolution(timeseries("DVR connect latency p95",
                   "95th percentile of agent_dvr's connection attempts, per DVR, over the sites selected. " + RECORDED,
                   Unit.SECONDS, [q(sc.quantile(R.DVR_CONNECT_BUCKET_RATE, "0.95", by="dvr"), "{{dvr}}")],
                   thresholds=above(slow / 2, slow), w=8)),
        downsampled(timeseries("DVR probe latency",
                   "How long blackbox_exporter's probe of each DVR took. Red at dvr.probe_slow_seconds, the "
                   "slow-probe alert's threshold. " + DOWNSAMPLED_MAX,
                   Unit.SECONDS, [q(f"max by (dvr) ({sc.over_step('probe_duration_seconds')})", "{{dvr}}")],
                   thresholds=above(slow / 2, slow), threshold_lines=True, min=0, w=8)),
        downsampled(state_timeline("DVR probe result",
                       "blackbox_exporter's probe of each DVR address, with the HTTP status where the probe is HTTP. "
                       + DOWNSAMPLED_MIN,
                       Unit.NONE, [q(f"min by (dvr) ({sc.over_step('probe_success')})", "{{dvr}}")],
                       mappings=PROBE, w=16, h=5)),
        stat("DVR probe HTTP status",
             "HTTP status of the last probe response per DVR (HTTP probes only).", Unit.NONE,
             [q(f"max by (dvr) ({sc.m('probe_http_status_code')})", "{{dvr}}", instant=True)],
             thresholds=above(300, 400), graph=False, w=8, h=5),
    ]


def dashboard(inv):
    sc = Scope(jobs("tv_scheduler", "agent_dvr", "blackbox_exporter"))
    return build(
        inv, module=__name__, title="VV / TV scheduler and DVR",
        description="Playlists per TV and loglines used; DVR connection state, errors, segments and probe latency.",
        tags=("tv-scheduler", "dvr"), scope=sc, panels=_panels(inv, sc))
