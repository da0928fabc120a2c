"""Maintenance: cleanup and log export runs, self_monitor restarts, Pushgateway freshness."""

from dashboards._common import (
    COUNTED, DOWNSAMPLED_MAX, DOWNSAMPLED_MIN, RECORDED, UP_DOWN, Scope, above, build, downsampled, jobs, q, row,
    stat, state_timeline, table, timeseries,
)
from rules import _records as R
from vvdash.jobs import PUSHED_JOBS


def _panels(inv, sc: Scope) -> list:
    stale = inv.threshold("maintenance", "stale_periods")
    cleanup_period = inv["pipeline"]["cleanup"]["period_seconds"]
    export_period = inv["pipeline"]["log_export"]["period_seconds"]
    restart_loop = inv.threshold("platform", "restart_loop_count")

    inc = sc.count

    return [
        row("Cleanup (cleanup_old_files)"),
        stat("Since last successful cleanup",
             "Time since cleanup last finished successfully. Red after maintenance.stale_periods cleanup "
             "periods (pipeline.cleanup.period_seconds), the stale-cleanup alert's threshold.",
             "s", [q(f"time() - max({sc.m('vv_cleanup_last_success_timestamp_seconds')})", instant=True)],
             thresholds=above(cleanup_period * 1.25, cleanup_period * stale), graph=False, w=6, h=6),
        downsampled(timeseries("Cleanup runs by status",
                   "Cleanup runs per interval by outcome and dry_run. " + COUNTED,
                   "short", [q(f"sum by (status, dry_run) ({inc('vv_cleanup_runs_total')})",
                               "{{status}} dry_run={{dry_run}}")], bars=True, w=6, h=6)),
        downsampled(timeseries("Files deleted by cleanup",
                   "Files deleted by retention per interval. " + COUNTED,
                   "short", [q(f"sum({inc('vv_cleanup_files_deleted_total')})", "files")], bars=True, w=6, h=6)),
        downsampled(timeseries("Cleanup bytes deleted",
                   "Bytes deleted by retention per interval. " + COUNTED,
                   "bytes", [q(f"sum({inc('vv_cleanup_bytes_deleted_total')})", "bytes")], bars=True, w=6, h=6)),
        downsampled(timeseries("Cleanup run duration",
                   "Duration of the last cleanup run, as pushed after each run. " + DOWNSAMPLED_MAX,
                   "s", [q(f"max({sc.over_step('vv_cleanup_duration_seconds')})", "duration")], w=12, h=6)),
        row("Log export (log_exporter)"),
        stat("Since last successful log export",
             "Time since log export last succeeded. Red after maintenance.stale_periods export periods "
             "(pipeline.log_export.period_seconds).",
             "s", [q(f"time() - max({sc.m('vv_log_exporter_last_success_timestamp_seconds')})", instant=True)],
             thresholds=above(export_period * 1.25, export_period * stale), graph=False, w=6, h=6),
        downsampled(timeseries("Log export runs by status",
                   "Export runs per interval by outcome. " + COUNTED,
                   "short", [q(f"sum by (status) ({inc('vv_log_exporter_runs_total')})", "{{status}}")],
                   bars=True, w=6, h=6)),
        downsampled(timeseries("Archives and files exported",
                   "Archives written and verified, and log files archived, per interval. " + COUNTED,
                   "short", [q(f"sum({inc('vv_log_exporter_archives_created_total')})", "archives"),
                             q(f"sum({inc('vv_log_exporter_files_archived_total')})", "files")],
                   bars=True, w=6, h=6)),
        downsampled(timeseries("Log export run duration",
                   "Duration of the last export run, as pushed after each run. " + DOWNSAMPLED_MAX,
                   "s", [q(f"max({sc.over_step('vv_log_exporter_duration_seconds')})", "duration")], w=6, h=6)),
        row("Pushgateway freshness"),
        table("Time since last push per job",
              "Time since each pushing job's group was last pushed successfully (push_time_seconds).",
              "s", [q(f"time() - max by (job) ({sc.m('push_time_seconds')})", instant=True, fmt="table")],
              thresholds=above(max(cleanup_period, export_period) * stale), w=12, h=6),
        table("Last push failed",
              "1 when a job's most recent push failed (its last failure is newer than its last success).",
              "none", [q(f"max by (job) ({sc.m('push_failure_time_seconds')}) > bool "
                         f"max by (job) ({sc.m('push_time_seconds')})", instant=True, fmt="table")],
              thresholds=above(None, 1), w=12, h=6),
        row("self_monitor"),
        downsampled(state_timeline("Service health (self_monitor probes)",
                       "1 when self_monitor's health probes of the service passed. " + DOWNSAMPLED_MIN,
                       "none", [q(f"max by (service) ({sc.over_step('vv_self_monitor_service_up')})", "{{service}}")],
                       mappings=UP_DOWN, h=6)),
        downsampled(timeseries("Restarts triggered by self_monitor",
                   "Restarts self_monitor started per interval, by service. Red at platform.restart_loop_count, "
                   "the restart-loop alert's threshold. " + COUNTED,
                   "short", [q(f"sum by (service) ({inc('vv_self_monitor_container_restarts_triggered_total')})",
                               "{{service}}")],
                   thresholds=above(None, restart_loop), bars=True, w=8)),
        timeseries("Unhealthy probes",
                   "Failed health probes per second, by service. " + RECORDED,
                   "ops", [q(f"sum by (service) "
                             f"({sc.rec(R.counter_rate('vv_self_monitor_unhealthy_services_detected_total'))})",
                             "{{service}}")], w=8),
        stat("Services given up",
             "Services whose restart budget is spent and that self_monitor leaves down. Red when any.",
             "short", [q(f"sum({sc.m('vv_self_monitor_service_given_up')})", instant=True)],
             thresholds=above(None, 1), graph=False, w=8, h=8),
    ]


def dashboard(inv):
    # Pushed groups carry the pushing job's name and the host name (pipeline.pushgateway.grouping_key);
    # self_monitor is scraped, so the variables read both push_time_seconds and up.
    sc = Scope(jobs(*PUSHED_JOBS, "self_monitor"), variable_metric=("push_time_seconds", "up"))
    return build(
        inv, key="maintenance", title="VV / Maintenance",
        description="Cleanup and log export runs, self_monitor restarts and the freshness of pushed metrics.",
        tags=("maintenance",), scope=sc, panels=_panels(inv, sc))
