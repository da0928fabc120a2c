"""The alerting path itself (as the Prometheus and Alertmanager mixins watch it): a heartbeat for an
external dead man's switch, alerts reaching Alertmanager, config reloads, rule evaluation.

A failing Alertmanager cannot be relied on to report its own failure; these alerts are for the
parts that still work (Prometheus's own view, a second Alertmanager), and the heartbeat's absence
at its external receiver covers the rest.
"""

from __future__ import annotations

from rules._common import RATE_WINDOW, AlertTexts, number
from shared.dashboards import uid as dashboard_uid
from vvdash.emit.alertmanager import HEARTBEAT   # routed to alerting.heartbeat.receiver there
from vvdash.jobs import selector
from vvdash.model.rules import Alert, Group, Severity

alert = AlertTexts(__name__)


def _alerts(inv) -> list[Alert]:
    t = inv.thresholds("meta")
    prom = selector("prometheus")
    am = selector("alertmanager")
    dash = dashboard_uid("overview")
    w = RATE_WINDOW
    return [
        alert(alert=HEARTBEAT, severity=Severity.INFO, dashboard=dash,
              expr="vector(1)",
              values={"heartbeat_repeat_interval": inv['alerting']['heartbeat']['repeat_interval']}),
        alert(alert="VVPrometheusNotificationsFailing", severity=Severity.CRITICAL, for_=t("for"), dashboard=dash,
              expr=f"sum by (site, job, instance) (rate(prometheus_notifications_errors_total{{{prom}}}[{w}]))\n"
                   f"/\nsum by (site, job, instance) (rate(prometheus_notifications_sent_total{{{prom}}}[{w}]))\n"
                   f"> {number(t('notification_error_ratio'))}"),
        alert(alert="VVPrometheusNotificationsDropped", severity=Severity.WARNING, for_=t("for"), dashboard=dash,
              expr=f"sum by (site, job, instance) (increase(prometheus_notifications_dropped_total{{{prom}}}[{w}])) > 0",
              values={"window": w}),
        alert(alert="VVPrometheusNoAlertmanagers", severity=Severity.CRITICAL, for_=t("for"), dashboard=dash,
              expr=f"max by (site, job, instance) (max_over_time(prometheus_notifications_alertmanagers_discovered"
                   f"{{{prom}}}[{w}])) < 1"),
        alert(alert="VVPrometheusConfigReloadFailed", severity=Severity.WARNING, for_=t("for"), dashboard=dash,
              expr=f"max by (site, job, instance) (max_over_time(prometheus_config_last_reload_successful"
                   f"{{{prom}}}[{w}])) == 0"),
        alert(alert="VVPrometheusRuleGroupSlow", severity=Severity.WARNING, for_=t("for"), dashboard=dash,
              expr=f"max by (site, job, instance, rule_group) (prometheus_rule_group_last_duration_seconds{{{prom}}})\n"
                   f"> on (site, job, instance, rule_group)\n"
                   f"max by (site, job, instance, rule_group) (prometheus_rule_group_interval_seconds{{{prom}}})"),
        alert(alert="VVAlertmanagerConfigReloadFailed", severity=Severity.WARNING, for_=t("for"), dashboard=dash,
              expr=f"max by (site, job, instance) (max_over_time(alertmanager_config_last_reload_successful"
                   f"{{{am}}}[{w}])) == 0"),
    ]


def groups(inv) -> list[Group]:
    return [Group(name="vv_meta_alerts", rules=tuple(_alerts(inv)))]
