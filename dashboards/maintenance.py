"""Maintenance: cleanup and log export runs, self_monitor restarts, Pushgateway freshness."""

from dashboards._common import (
    COUNTED, DOWNSAMPLED_MAX, RECORDED, Scope, above, build, downsampled, jobs, q, row, service_health, since_success,
    stat, table, timeseries,
)
from shared import records as R
from vvdash.jobs import PUSHED_JOBS
from vvdash.model.dashboards import Unit


def _panels(inv, sc: Scope) -> list:
    stale = inv.thresholds("maintenance")("stale_periods")
    cleanup_period = inv["pipeline"]["cleanup"]["period_seconds"]
    export_period = inv["pipeline"]["log_export"]["period_seconds"]
    restart_loop = inv.thresholds("platform")("restart_loop_count")

    inc = sc.count

    def last_success(what: str, description: str, prefix: str, job: str, period: float):
        """Time since the job's last success at the stalest site shown; red at its stale alert's threshold."""
        since = since_success(f"{prefix}_last_success_timestamp_seconds", job, sc)
        return stat(f"Since last successful {what}", description, Unit.SECONDS, [q(since, instant=True)],
                    thresholds=above(period * 1.25, period * stale), graph=False, w=6, h=6)

    def last_duration(what: str, run: str, prefix: str, w: int):
        return downsampled(timeseries(
            f"{what} run duration", f"Duration of the last {run} run, as pushed after each run. " + DOWNSAMPLED_MAX,
            Unit.SECONDS, [q(f"max({sc.over_step(prefix + '_duration_seconds')})", "duration")], w=w, h=6))

    return [
        row("Cleanup (cleanup_old_files)"),
        last_success("cleanup", "Time since cleanup last finished successfully. Red after "
                      "maintenance.stale_periods cleanup periods (pipeline.cleanup.period_seconds), the stale-cleanup "
                      "alert's threshold.", "vv_cleanup", "cleanup_old_files", cleanup_period),
        downsampled(timeseries("Cleanup runs by status",
                   "Cleanup runs per interval by outcome and dry_run. " + COUNTED,
                   Unit.SHORT, [q(f"sum by (status, dry_run) ({inc('vv_cleanup_runs_total')})",
                               "{{status}} dry_run={{dry_run}}")], bars=True, w=6, h=6)),
        downsampled(timeseries("Files deleted by cleanup",
                   "Files deleted by retention per interval. " + COUNTED,
                   Unit.SHORT, [q(f"sum({inc('vv_cleanup_files_deleted_total')})", "files")], bars=True, w=6, h=6)),
        downsampled(timeseries("Cleanup bytes deleted",
                   "Bytes deleted by retention per interval. " + COUNTED,
                   Unit.BYTES, [q(f"sum({inc('vv_cleanup_bytes_deleted_total')})", "bytes")], bars=True, w=6, h=6)),
        last_duration("Cleanup", "cleanup", "vv_cleanup", 12),
        row("Log export (log_exporter)"),
        last_success("log export", "Time since log export last succeeded. Red after maintenance.stale_periods "
                      "export periods (pipeline.log_export.period_seconds).", "vv_log_exporter", "log_exporter", export_period),
        downsampled(timeseries("Log export runs by status",
                   "Export runs per interval by outcome. " + COUNTED,
                   Unit.SHORT, [q(f"sum by (status) ({inc('vv_log_exporter_runs_total')})", "{{status}}")],
                   bars=True, w=6, h=6)),
        downsampled(timeseries("Archives and files exported",
                   "Archives written and verified, and log files archived, per interval. " + COUNTED,
                   Unit.SHORT, [q(f"sum({inc('vv_log_exporter_archives_created_total')})", "archives"),
                             q(f"sum({inc('vv_log_exporter_files_archived_total')})", "files")],
                   bars=True, w=6, h=6)),
        last_duration("Log export", "export", "vv_log_exporter", 6),
        row("Pushgateway freshness"),
        table("Time since last push per job",
              "Time since each pushing job's group was last pushed successfully (push_time_seconds).",
              Unit.SECONDS, [q(f"time() - max by (job) ({sc.m('push_time_seconds')})", instant=True, fmt="table")],
              thresholds=above(max(cleanup_period, export_period) * stale), w=12, h=6),
        table("Last push failed",
              "1 when a job's most recent push failed (its last failure is newer than its last success).",
              Unit.NONE, [q(f"max by (job) ({sc.m('push_failure_time_seconds')}) > bool "
                         f"max by (job) ({sc.m('push_time_seconds')})", instant=True, fmt="table")],
              thresholds=above(None, 1), w=12, h=6),
        row("self_monitor"),
        service_health("Service health (self_monitor probes)", sc),
        downsampled(timeseries("Restarts triggered by self_monitor",
                   "Restarts self_monitor started per interval, by service. Red at platform.restart_loop_count, "
                   "the restart-loop alert's threshold. " + COUNTED,
                   Unit.SHORT, [q(f"sum by (service) ({inc('vv_self_monitor_container_restarts_triggered_total')})",
                               "{{service}}")],
                   thresholds=above(None, restart_loop), bars=True, w=8)),
        timeseries("Unhealthy probes",
                   "Failed health probes per second, by service. " + RECORDED,
                   Unit.OPS, [q(f"sum by (service) "
                             f"({sc.rec(R.counter_rate('vv_self_monitor_unhealthy_services_detected_total'))})",
                             "{{service}}")], w=8),
        stat("Services given up",
             "Services whose restart budget is spent and that self_monitor leaves down. Red when any.",
             Unit.SHORT, [q(f"sum({sc.m('vv_self_monitor_service_given_up')})", instant=True)],
             thresholds=above(None, 1), graph=False, w=8, h=8),
    ]


def dashboard(inv):
    # Pushed groups carry the pushing job's name and the host name (pipeline.pushgateway.grouping_key);
    # self_monitor is scraped, so the variables read both push_time_seconds and up.
    sc = Scope(jobs(*PUSHED_JOBS, "self_monitor"), variable_metric=("push_time_seconds", "up"))
    return build(
        inv, module=__name__, title="VV / Maintenance",
        description="Cleanup and log export runs, self_monitor restarts and the freshness of pushed metrics.",
        tags=("maintenance",), scope=sc, panels=_panels(inv, sc))
