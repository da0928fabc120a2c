"""Platform: scrape targets down or absent, restart loops, Prometheus and Alertmanager failures."""

from __future__ import annotations

from rules._common import RATE_WINDOW, AlertTexts
from shared.dashboards import uid as dashboard_uid
from vvdash.emit.prometheus_config import CENTRAL
from vvdash.jobs import BLACKBOX_SELF_JOB, JOB, PIPELINE_SERVICES, PUSHED_JOBS, selector
from vvdash.model.rules import Alert, Group, Severity

alert = AlertTexts(__name__)

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
        alert(alert="VVTargetDown", severity=Severity.CRITICAL, for_=t("target_down_for"), dashboard=dash,
              expr="up == 0",
              values={"target_down_for": t('target_down_for')}),
        alert(alert="VVJobAbsent", severity=Severity.WARNING, for_=t("target_down_for"), dashboard=dash,
              expr=_absent_expr(inv)),
        alert(alert="VVServiceRestartLoop", severity=Severity.WARNING, dashboard=dashboard_uid("maintenance"),
              expr=f"sum by (site, job, service) (increase(vv_self_monitor_container_restarts_triggered_total"
                   f"{{{selector('self_monitor')}}}[{t('restart_loop_window')}])) >= {t('restart_loop_count')}",
              values={"restart_loop_window": t('restart_loop_window')}),
        alert(alert="VVPrometheusRuleEvaluationFailures", severity=Severity.WARNING, dashboard=dash,
              expr=f"sum by (site, job, rule_group) (increase(prometheus_rule_evaluation_failures_total"
                   f"{{{selector('prometheus')}}}[{w}])) > 0",
              values={"window": w}),
        alert(alert="VVAlertmanagerNotificationsFailing", severity=Severity.WARNING, dashboard=dash,
              expr=f"sum by (site, job, integration) (increase(alertmanager_notifications_failed_total"
                   f"{{{selector('alertmanager')}}}[{w}])) > 0",
              values={"window": w}),
    ]


def groups(inv) -> list[Group]:
    return [Group(name="vv_platform_alerts", rules=tuple(_alerts(inv)))]


