"""Notification templates for the receivers vvdash configures: what a person reads in Slack, an
email or a PagerDuty incident. Every notification names the alert and the site, carries the
description (where each alert puts its humanized value) and links to the runbook section and the
dashboard. Webhook receivers get Alertmanager's JSON, annotations included, and need none.

Rendered into generated/alertmanager/templates/ and beside every runtime copy of the config.
"""

from __future__ import annotations

TEMPLATES_DIR = "templates"
TEMPLATE_FILE = "vvdash.tmpl"

TEMPLATE = r"""{{/* vvdash notification templates (vvdash/emit/alertmanager_templates.py) */}}

{{ define "vvdash.title" }}[{{ .Status | toUpper }}{{ if eq .Status "firing" }}:{{ .Alerts.Firing | len }}{{ end }}] {{ .CommonLabels.alertname }}{{ with .CommonLabels.site }} at site {{ . }}{{ end }}{{ end }}

{{ define "vvdash.alert.text" }}{{ .Labels.alertname }}{{ with .Labels.site }} at site {{ . }}{{ end }}: {{ .Annotations.summary }}
{{ .Annotations.description }}
Severity: {{ .Labels.severity }}{{ with .Labels.instance }} | instance {{ . }}{{ end }}{{ with .Labels.dvr }} | DVR {{ . }}{{ end }}
Runbook: {{ .Annotations.runbook_url }}
Dashboard: {{ .Annotations.dashboard_url }}{{ end }}

{{ define "vvdash.text" }}{{ range .Alerts.Firing }}FIRING {{ template "vvdash.alert.text" . }}

{{ end }}{{ range .Alerts.Resolved }}RESOLVED {{ template "vvdash.alert.text" . }}

{{ end }}{{ end }}

{{ define "vvdash.runbook_url" }}{{ with index .Alerts 0 }}{{ .Annotations.runbook_url }}{{ end }}{{ end }}
{{ define "vvdash.dashboard_url" }}{{ with index .Alerts 0 }}{{ .Annotations.dashboard_url }}{{ end }}{{ end }}

{{ define "vvdash.slack.text" }}{{ range .Alerts }}*{{ .Status | toUpper }}* {{ .Labels.alertname }}{{ with .Labels.site }} at site {{ . }}{{ end }}: {{ .Annotations.summary }}
{{ .Annotations.description }}
<{{ .Annotations.runbook_url }}|Runbook> | <{{ .Annotations.dashboard_url }}|Dashboard>
{{ end }}{{ end }}

{{ define "vvdash.pagerduty.severity" }}{{ if eq .CommonLabels.severity "critical" }}critical{{ else if eq .CommonLabels.severity "warning" }}warning{{ else }}info{{ end }}{{ end }}

{{ define "vvdash.email.html" }}<!doctype html><html><body>
<h2>{{ template "vvdash.title" . }}</h2>
{{ range .Alerts }}<h3>{{ .Status | toUpper }}: {{ .Labels.alertname }}{{ with .Labels.site }} at site {{ . }}{{ end }}</h3>
<p><strong>{{ .Annotations.summary }}</strong></p>
<p>{{ .Annotations.description }}</p>
<p>Severity {{ .Labels.severity }}{{ with .Labels.instance }}, instance {{ . }}{{ end }}{{ with .Labels.dvr }}, DVR {{ . }}{{ end }}</p>
<p><a href="{{ .Annotations.runbook_url }}">Runbook</a> | <a href="{{ .Annotations.dashboard_url }}">Dashboard</a></p>
{{ end }}</body></html>{{ end }}
"""


def _t(name: str) -> str:
    return '{{ template "' + name + '" . }}'


# Per receiver type: the fields that use the templates (Alertmanager 0.25 and later).
RECEIVER_FIELDS: dict[str, dict] = {
    "slack": {"title": _t("vvdash.title"), "title_link": _t("vvdash.dashboard_url"), "text": _t("vvdash.slack.text")},
    "email": {"headers": {"Subject": _t("vvdash.title")}, "html": _t("vvdash.email.html"), "text": _t("vvdash.text")},
    "pagerduty": {
        "description": _t("vvdash.title"),
        "severity": _t("vvdash.pagerduty.severity"),
        "details": {"alerts": _t("vvdash.text"), "site": "{{ .CommonLabels.site }}",
                    "runbook_url": _t("vvdash.runbook_url"), "dashboard_url": _t("vvdash.dashboard_url")},
        "links": [{"href": _t("vvdash.runbook_url"), "text": "Runbook"},
                  {"href": _t("vvdash.dashboard_url"), "text": "Dashboard"}],
    },
    "webhook": {},
}
