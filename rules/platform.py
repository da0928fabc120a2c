"""Platform: scrape targets down or absent, restart loops, Prometheus and Alertmanager failures."""

from __future__ import annotations

from rules._common import RATE_WINDOW, runbook
from shared.dashboards import uid as dashboard_uid
from vvdash.emit.prometheus_config import CENTRAL
from vvdash.jobs import BLACKBOX_SELF_JOB, JOB, PIPELINE_SERVICES, PUSHED_JOBS, selector
from vvdash.model.rules import Alert, Group, Severity

# Components scraped directly, beyond the pipeline services (optional ones only when enabled).
_SCRAPED = ("node_exporter", "blackbox_exporter", "pushgateway", "prometheus", "alertmanager")
_OPTIONAL = ("cadvisor", "nginx_exporter")


def scraped_jobs(inv) -> list[str]:
    components = [*PIPELINE_SERVICES, *_SCRAPED,
                  *(c for c in _OPTIONAL if inv.service(c)["enabled"])]
    return [JOB[c] for c in components] + [BLACKBOX_SELF_JOB]


def sites_of(inv, job: str) -> list[str]:
    """The sites whose targets of `job` carry their `site` label (as the scrape config labels them):
    the central monitoring stack carries the first site; DVR probes exist only where there are DVRs."""
    if job in {JOB[c] for c in CENTRAL}:
        return [inv.sites[0]["name"]]
    if job == JOB["blackbox_exporter"]:
        return [s["name"] for s in inv.sites if s["dvrs"]]
    return [s["name"] for s in inv.sites]


def _absent_expr(inv) -> str:
    """One absent() per job and site: with equality matchers only, absent() keeps both labels."""
    parts = [f'absent(up{{job="{job}", site="{site}"}})' for job in scraped_jobs(inv) for site in sites_of(inv, job)]
    parts += [f'absent(push_time_seconds{{{selector(job)}, site="{site}"}})'
              for job in PUSHED_JOBS for site in sites_of(inv, job)]
    return "\nor\n".join(parts)


def _alerts(inv) -> list[Alert]:
    t = inv.thresholds("platform")
    dash = dashboard_uid("overview")
    w = RATE_WINDOW
    return [
        Alert(
            alert="VVTargetDown", expr="up == 0", severity=Severity.CRITICAL, summary="A scrape target is down.",
            description="{{ $labels.job }} target {{ $labels.instance }} at site {{ $labels.site }} has been down "
            f"for more than {t('target_down_for')}.",
            dashboard=dash, runbook=runbook(
                "Prometheus cannot scrape the target; its other alerts are muted while it is down.",
                ["The service crashed or was stopped.", "Wrong port in vvdash.yaml.", "The host is down."],
                ["Overview dashboard: service up/down.", "Prometheus targets page for the scrape error.",
                 "The service's log; self_monitor restarts."]),
            for_=t("target_down_for")),
        Alert(
            alert="VVJobAbsent", expr=_absent_expr(inv), severity=Severity.WARNING, summary="A monitored job has no series at all.",
            description="Prometheus has no series for job {{ $labels.job }} at site {{ $labels.site }}: it is missing "
            "from the scrape configuration or has never pushed.",
            dashboard=dash, runbook=runbook(
                "A job the rules expect has disappeared from Prometheus entirely, so its alerts cannot fire.",
                ["The job removed from the generated prometheus.yml.", "A cron job that never ran.",
                 "A relabelling that renamed the job."],
                ["Prometheus targets page.", "generated/prometheus/prometheus.yml for the job.",
                 "Pushgateway page for pushed jobs."]),
            for_=t("target_down_for")),
        Alert(
            alert="VVServiceRestartLoop",
            expr=f"sum by (site, job, service) (increase(vv_self_monitor_container_restarts_triggered_total"
            f"{{{selector('self_monitor')}}}[{t('restart_loop_window')}])) >= {t('restart_loop_count')}",
            severity=Severity.WARNING, summary="A service keeps being restarted.",
            description="self_monitor at site {{ $labels.site }} restarted {{ $labels.service }} {{ $value | humanize }} "
            f"times in the last {t('restart_loop_window')}.",
            dashboard=dashboard_uid("maintenance"), runbook=runbook(
                "self_monitor restarts the service again and again; it dies soon after each start.",
                ["A configuration error the service hits at start.", "A missing dependency.", "Out of memory."],
                ["Maintenance dashboard: restarts per service.", "The service's log around each start.",
                 "self_monitor's restart budget: a service over it is left down."])),
        Alert(
            alert="VVPrometheusRuleEvaluationFailures",
            expr=f"sum by (site, job, rule_group) (increase(prometheus_rule_evaluation_failures_total"
            f"{{{selector('prometheus')}}}[{w}])) > 0",
            severity=Severity.WARNING, summary="Prometheus fails to evaluate rules.",
            description="{{ $value | humanize }} evaluations of rule group {{ $labels.rule_group }} failed in the last "
            f"{w}.",
            dashboard=dash, runbook=runbook(
                "Some recording or alerting rules are not evaluated, so alerts may be silent.",
                ["A query that returns many-to-many matches.", "Out of memory or query timeouts."],
                ["Prometheus rules page for the error.", "`vvdash lint` on the current definitions."])),
        Alert(
            alert="VVAlertmanagerNotificationsFailing",
            expr=f"sum by (site, job, integration) (increase(alertmanager_notifications_failed_total"
            f"{{{selector('alertmanager')}}}[{w}])) > 0",
            severity=Severity.WARNING, summary="Alertmanager cannot deliver notifications.",
            description="{{ $value | humanize }} {{ $labels.integration }} notifications failed at site {{ $labels.site }} "
            f"in the last {w}.",
            dashboard=dash, runbook=runbook(
                "Notifications to a receiver fail; people may not be told about alerts.",
                ["The receiver's endpoint down.", "An expired or missing secret (webhook URL, API key)."],
                ["Alertmanager log for the integration's error.", "The receiver's secret file or environment.",
                 "`vvdash lint` routing cases."])),
    ]


def groups(inv) -> list[Group]:
    return [Group(name="vv_platform_alerts", rules=tuple(_alerts(inv)))]


