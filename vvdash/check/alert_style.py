"""Alert and recording-rule style: names, annotations, links, group sizes (severity and
durations are checked when a rule is built: vvdash/model/rules.py).

The conventions of the README's "How to add a rule" section, checked over the rule
definitions so a bad rule fails the build with the file, group and rule named.
"""

from __future__ import annotations

import re

from vvdash.findings import Finding
from vvdash.model.rules import Alert, Record

MAX_NAME = 40
MAX_GROUP_RULES = 20
_ALERT_NAME = re.compile(r"^VV(?:[A-Z][a-z0-9]*)+$")
_RECORD_NAME = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*:[a-zA-Z_][a-zA-Z0-9_]*:[a-zA-Z0-9_]+$")
_TEMPLATE = re.compile(r"\{\{.*?\}\}", re.S)


def _alert_problems(alert: Alert, dashboards: set[str]) -> list[str]:
    out = []
    name = alert.alert
    if not _ALERT_NAME.match(name):
        out.append("alert name must be CamelCase with the VV prefix (e.g. VVDvrDisconnected)")
    if len(name) > MAX_NAME:
        out.append(f"alert name is {len(name)} characters; at most {MAX_NAME}")
    if "severity" in alert.labels:
        out.append("severity is set by the severity field, not in labels")
    summary = (alert.summary or "").strip()
    if not summary:
        out.append("summary is missing")
    else:
        if _TEMPLATE.search(summary) or "$labels" in summary or "$value" in summary:
            out.append("summary must be static (no template); put values in the description")
        if not summary[0].isupper():
            out.append("summary must start with a capital letter")
        if not summary.endswith("."):
            out.append("summary must end with a period")
    description = (alert.description or "").strip()
    if not description:
        out.append("description is missing")
    elif not _TEMPLATE.search(description):
        out.append("description must be templated (labels or a humanized $value)")
    for key in ("summary", "description", "runbook_url", "dashboard_url"):
        if key in alert.annotations:
            out.append(f"annotation {key} is generated; do not set it in annotations")
    if not alert.dashboard:
        out.append("dashboard_url is missing: set the dashboard uid")
    elif dashboards and alert.dashboard not in dashboards:
        out.append(f"dashboard {alert.dashboard!r} does not exist (known: {', '.join(sorted(dashboards))})")
    book = alert.runbook
    if book is None or not book.meaning or not book.causes or not book.checks:
        out.append("runbook_url needs a runbook section: give meaning, causes and checks")
    return out


def check_project(project) -> list[Finding]:
    dashboards = {d.uid for d in project.dashboards}
    findings: list[Finding] = []
    for rule_file in project.rule_files:
        for group in rule_file.groups:
            base = f"{rule_file.source} / {group.name}"
            if len(group.rules) > MAX_GROUP_RULES:
                findings.append(Finding(base, f"group has {len(group.rules)} rules; at most {MAX_GROUP_RULES}",
                                        "alert-style"))
            for rule in group.rules:
                where = f"{base} / {rule.name}"
                if isinstance(rule, Alert):
                    problems = _alert_problems(rule, dashboards)
                elif isinstance(rule, Record):
                    problems = [] if _RECORD_NAME.match(rule.record) else [
                        "recording rule name must be level:metric:operations"]
                else:
                    problems = [f"not a rule: {type(rule).__name__}"]
                findings += [Finding(where, p, "alert-style") for p in problems]
    return findings
