"""Maintenance jobs pushed through the Pushgateway: stale, failed runs, failed pushes."""

from __future__ import annotations

from rules._common import AlertTexts, seconds, window
from shared.dashboards import uid as dashboard_uid
from shared.exprs import seconds_since_success
from vvdash.jobs import job as job_name
from vvdash.jobs import selector
from vvdash.model.rules import Alert, Group, Severity

alert = AlertTexts(__name__)

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
        alert(alert=f"VV{word}Stale", severity=Severity.WARNING, dashboard=dash, text="VV{word}Stale",
              expr=f"{seconds_since_success(f'{prefix}_last_success_timestamp_seconds', job)} > {stale}",
              values={"job": job, "periods": periods, "period": seconds(period)}),
        alert(alert=f"VV{word}Failed", severity=Severity.WARNING, dashboard=dash, text="VV{word}Failed",
              expr=f'sum by (site, job) (increase({prefix}_runs_total{{{sel}, status="failure"}}[{failed_window}])) > 0',
              values={"job": job, "stale": stale}),
    ]


def _push_alert(inv) -> Alert:
    jobs = "|".join(job_name(j) for j in JOBS)
    return alert(alert="VVPushgatewayPushFailing", severity=Severity.WARNING, dashboard=dashboard_uid("maintenance"),
                 expr=f'max by (site, job) (push_failure_time_seconds{{job=~"{jobs}"}})\n'
                      f'> on (site, job)\nmax by (site, job) (push_time_seconds{{job=~"{jobs}"}})')


def groups(inv) -> list[Group]:
    rules = [a for job in JOBS for a in _job_alerts(inv, job)] + [_push_alert(inv)]
    return [Group(name="vv_maintenance_alerts", rules=tuple(rules))]
