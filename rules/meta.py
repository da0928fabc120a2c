"""The alerting path itself (as the Prometheus and Alertmanager mixins watch it): a heartbeat for an
external dead man's switch, alerts reaching Alertmanager, config reloads, rule evaluation.

A failing Alertmanager cannot be relied on to report its own failure; these alerts are for the
parts that still work (Prometheus's own view, a second Alertmanager), and the heartbeat's absence
at its external receiver covers the rest.
"""

from __future__ import annotations

from rules._common import RATE_WINDOW, number, runbook
from shared.dashboards import uid as dashboard_uid
from vvdash.emit.alertmanager import HEARTBEAT   # routed to alerting.heartbeat.receiver there
from vvdash.jobs import selector
from vvdash.model.rules import Alert, Group, Severity


def _alerts(inv) -> list[Alert]:
    t = inv.thresholds("meta")
    prom = selector("prometheus")
    am = selector("alertmanager")
    dash = dashboard_uid("overview")
    w = RATE_WINDOW
    return [
        Alert(
            alert=HEARTBEAT, expr="vector(1)", severity=Severity.INFO, summary="The alerting path is working (always firing).",
            description="Always firing ({{ $value }}): Alertmanager sends it to the heartbeat receiver every "
            f"{inv['alerting']['heartbeat']['repeat_interval']}.",
            dashboard=dash, runbook=runbook(
                "Always firing on purpose. Its receiver is an external dead man's switch that raises the alarm "
                "when the heartbeat stops arriving: Prometheus down, Alertmanager down, or the way between them "
                "and the receiver broken.",
                ["If the dead man's switch fired: Prometheus or Alertmanager stopped, or cannot reach it.",
                 "Rule evaluation stopped (see VVPrometheusRuleEvaluationFailures)."],
                ["Prometheus /-/healthy and its alerts page: this alert should be firing.",
                 "Alertmanager /-/healthy and its log for the heartbeat receiver.",
                 "alerting.heartbeat in vvdash.yaml (receiver and repeat interval)."])),
        Alert(
            alert="VVPrometheusNotificationsFailing",
            expr=f"sum by (site, job, instance) (rate(prometheus_notifications_errors_total{{{prom}}}[{w}]))\n"
            f"/\nsum by (site, job, instance) (rate(prometheus_notifications_sent_total{{{prom}}}[{w}]))\n"
            f"> {number(t('notification_error_ratio'))}",
            severity=Severity.CRITICAL, summary="Prometheus cannot send alerts to Alertmanager.",
            description="{{ $value | humanizePercentage }} of the alerts Prometheus {{ $labels.instance }} sends to "
            "Alertmanager fail at site {{ $labels.site }}.",
            dashboard=dash, runbook=runbook(
                "Prometheus's sends to Alertmanager fail, so alerts may reach nobody. This alert may itself "
                "be undeliverable: the heartbeat's dead man's switch is the fallback.",
                ["Alertmanager down or restarting.", "A wrong Alertmanager address in prometheus.yml.",
                 "Network between Prometheus and Alertmanager."],
                ["Prometheus status page (runtime & build information: Alertmanagers).",
                 "Prometheus log: 'Error sending alert'.", "Alertmanager /-/ready.",
                 "Prometheus 2 counts a failed batch as one error (3 counts its alerts): with very many "
                 "alerts per batch the share reads low, and VVPrometheusNotificationsDropped is the one "
                 "that fires."]),
            for_=t("for")),
        Alert(
            alert="VVPrometheusNotificationsDropped",
            expr=f"sum by (site, job, instance) (increase(prometheus_notifications_dropped_total{{{prom}}}[{w}])) > 0",
            severity=Severity.WARNING, summary="Prometheus is dropping alerts.",
            description="Prometheus {{ $labels.instance }} at site {{ $labels.site }} dropped {{ $value | humanize }} alerts "
            f"in the last {w}: no Alertmanager accepted them or its queue was full.",
            dashboard=dash, runbook=runbook(
                "Alerts were discarded instead of reaching Alertmanager.",
                ["Every Alertmanager failing (see VVPrometheusNotificationsFailing).",
                 "More alerts than the notification queue holds."],
                ["Prometheus log: 'Alert notification queue full' or 'Error sending alert'.",
                 "prometheus_notifications_queue_length against _capacity."]),
            for_=t("for")),
        Alert(
            alert="VVPrometheusNoAlertmanagers",
            expr=f"max by (site, job, instance) (max_over_time(prometheus_notifications_alertmanagers_discovered"
            f"{{{prom}}}[{w}])) < 1",
            severity=Severity.CRITICAL, summary="Prometheus has no Alertmanager to send alerts to.",
            description="Prometheus {{ $labels.instance }} at site {{ $labels.site }} knows {{ $value }} Alertmanagers.",
            dashboard=dash, runbook=runbook(
                "No Alertmanager is configured or discovered; every alert stays inside Prometheus.",
                ["The alerting section missing from prometheus.yml.", "Alertmanager discovery failing."],
                ["Prometheus status page: Alertmanagers.", "generated/prometheus/prometheus.yml: alerting."]),
            for_=t("for")),
        Alert(
            alert="VVPrometheusConfigReloadFailed",
            expr=f"max by (site, job, instance) (max_over_time(prometheus_config_last_reload_successful"
            f"{{{prom}}}[{w}])) == 0",
            severity=Severity.WARNING, summary="Prometheus could not load its configuration.",
            description="The last configuration reload of Prometheus {{ $labels.instance }} at site {{ $labels.site }} failed; "
            "it runs on the previous configuration.",
            dashboard=dash, runbook=runbook(
                "A changed prometheus.yml or rule file was rejected; the old configuration stays in force, so "
                "the change (new targets, rules) is not live.",
                ["A hand edit to the deployed files.", "A rule file that `vvdash lint` would have rejected."],
                ["Prometheus log: 'Error reloading config'.", "`promtool check config` on the deployed file.",
                 "`vvdash build --check` and `vvdash lint`."]),
            for_=t("for")),
        Alert(
            alert="VVPrometheusRuleGroupSlow",
            expr=f"max by (site, job, instance, rule_group) (prometheus_rule_group_last_duration_seconds{{{prom}}})\n"
            f"> on (site, job, instance, rule_group)\n"
            f"max by (site, job, instance, rule_group) (prometheus_rule_group_interval_seconds{{{prom}}})",
            severity=Severity.WARNING, summary="A rule group takes longer than its interval.",
            description="Rule group {{ $labels.rule_group }} on {{ $labels.instance }} takes {{ $value | humanizeDuration }}, "
            "longer than its evaluation interval.",
            dashboard=dash, runbook=runbook(
                "Evaluating the group takes longer than its interval, so evaluations are skipped and alerts "
                "come late or not at all.",
                ["An expensive query (a wide regex, a long range).", "Prometheus short of CPU or memory."],
                ["Prometheus rules page: evaluation time per group.",
                 "prometheus_rule_group_iterations_missed_total.", "Host dashboard: Prometheus CPU."]),
            for_=t("for")),
        Alert(
            alert="VVAlertmanagerConfigReloadFailed",
            expr=f"max by (site, job, instance) (max_over_time(alertmanager_config_last_reload_successful"
            f"{{{am}}}[{w}])) == 0",
            severity=Severity.WARNING, summary="Alertmanager could not load its configuration.",
            description="The last configuration reload of Alertmanager {{ $labels.instance }} at site {{ $labels.site }} "
            "failed; it routes with the previous configuration.",
            dashboard=dash, runbook=runbook(
                "A changed alertmanager.yml was rejected; routes, receivers and inhibitions of the change "
                "are not live.",
                ["A secret file missing or unreadable.", "A hand edit to the deployed file."],
                ["Alertmanager log: 'Loading configuration file failed'.", "`amtool check-config` on the file.",
                 "`vvdash alertmanager-config` output."]),
            for_=t("for")),
    ]


def groups(inv) -> list[Group]:
    return [Group(name="vv_meta_alerts", rules=tuple(_alerts(inv)))]
