"""Maintenance jobs pushed through the Pushgateway: stale, failed runs, failed pushes."""

from __future__ import annotations

from rules._common import runbook, seconds, window
from shared.dashboards import uid as dashboard_uid
from shared.exprs import seconds_since_success
from vvdash.jobs import job as job_name
from vvdash.jobs import selector
from vvdash.model.rules import Alert, Group, Severity

# Cron-style job -> (its inventory section under pipeline, the metric prefix it pushes, alert word).
JOBS = {
    "cleanup_old_files": ("cleanup", "vv_cleanup", "Cleanup"),
    "log_exporter": ("log_export", "vv_log_exporter", "LogExport"),
}


def _job_alerts(inv, job: str) -> list[Alert]:
    section, prefix, word = JOBS[job]
    periods = inv.thresholds("maintenance")("stale_periods")
    period = inv["pipeline"][section]["period_seconds"]
    stale = seconds(periods * period)
    failed_window = window(inv, periods * period,
                           f"thresholds.maintenance.stale_periods × pipeline.{section}.period_seconds")
    sel = selector(job)
    dash = dashboard_uid("maintenance")
    return [
        Alert(
            alert=f"VV{word}Stale",
            expr=f"{seconds_since_success(f'{prefix}_last_success_timestamp_seconds', job)} > {stale}",
            severity=Severity.WARNING, summary=f"The {job} job has not succeeded recently.",
            description="{{ $labels.job }} at site {{ $labels.site }} last succeeded {{ $value | humanizeDuration }} ago "
            f"({periods} periods of {seconds(period)}s allowed).",
            dashboard=dash, runbook=runbook(
                f"No successful {job} run was pushed within {periods} periods.",
                ["The cron entry or systemd timer missing.", "The job failing every run.",
                 "The Pushgateway unreachable from the job."],
                ["Maintenance dashboard: time since last success per job.",
                 f"Run `vvdash pipeline cron {job}` by hand and read its output.",
                 "Pushgateway page for the job's group."])),
        Alert(
            alert=f"VV{word}Failed",
            expr=f'sum by (site, job) (increase({prefix}_runs_total{{{sel}, status="failure"}}[{failed_window}])) > 0',
            severity=Severity.WARNING, summary=f"A {job} run failed.",
            description="{{ $value | humanize }} {{ $labels.job }} runs failed at site {{ $labels.site }} "
            f"in the last {stale}s.",
            dashboard=dash, runbook=runbook(
                f"{job} finished with status failure.",
                ["Permissions on VIDEO_STORAGE_ROOT.", "A full disk while archiving.", "Bad retention settings."],
                ["Maintenance dashboard: runs by status.", "The job's log of its last run."])),
    ]


def _push_alert(inv) -> Alert:
    jobs = "|".join(job_name(j) for j in JOBS)
    return Alert(
        alert="VVPushgatewayPushFailing",
        expr=f'max by (site, job) (push_failure_time_seconds{{job=~"{jobs}"}})\n'
        f'> on (site, job)\nmax by (site, job) (push_time_seconds{{job=~"{jobs}"}})',
        severity=Severity.WARNING, summary="Pushes to the Pushgateway are failing.",
        description="The last push of {{ $labels.job }} at site {{ $labels.site }} was rejected by the Pushgateway.",
        dashboard=dashboard_uid("maintenance"), runbook=runbook(
            "The Pushgateway rejected the job's most recent push, so its metrics are old.",
            ["Metrics pushed with a type or help text that clashes with an earlier push.",
             "Inconsistent label sets in one push."],
            ["Pushgateway status page for the group's error.", "The job's log of its last run.",
             "Maintenance dashboard: Pushgateway freshness."]))


def groups(inv) -> list[Group]:
    rules = [a for job in JOBS for a in _job_alerts(inv, job)] + [_push_alert(inv)]
    return [Group(name="vv_maintenance_alerts", rules=tuple(rules))]
