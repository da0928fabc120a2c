"""generated/prometheus/rules/<module>.yml: one rule file per module in rules/."""

from vvdash.emit.serialize import GENERATED_HEADER, dump_yaml
from vvdash.model.rules import Alert, RuleFile
from vvdash.quoting import template_literal

# Annotations built from inventory URLs: Prometheus expands annotations as Go templates, so
# these must print as they are (the URL grammar refuses braces already; this holds on its own).
LINK_ANNOTATIONS = ("runbook_url", "dashboard_url")


def rule_to_dict(rule, inv) -> dict:
    if isinstance(rule, Alert):
        from vvdash.emit.alert_links import annotations  # noqa: PLC0415  (links depend on the inventory)

        out = {"alert": rule.alert, "expr": rule.expr,
               "labels": {**rule.labels, "severity": rule.severity.value},
               "annotations": {key: template_literal(value) if key in LINK_ANNOTATIONS else value
                               for key, value in annotations(rule, inv).items()}}
        if rule.for_ and rule.for_ != "0s":
            out["for"] = rule.for_
        if rule.keep_firing_for:
            out["keep_firing_for"] = rule.keep_firing_for
        return out
    out = {"record": rule.record, "expr": rule.expr}
    if rule.labels:
        out["labels"] = dict(rule.labels)
    return out


def rule_file_dict(rule_file: RuleFile, inv) -> dict:
    groups = []
    for g in rule_file.groups:
        group = {"name": g.name, "rules": [rule_to_dict(r, inv) for r in g.rules]}
        if g.interval:
            group["interval"] = g.interval
        groups.append(group)
    return {"groups": groups}


def emit(project) -> dict[str, bytes]:
    return {
        f"prometheus/rules/{f.module}.yml": dump_yaml(rule_file_dict(f, project.inventory), GENERATED_HEADER)
        for f in project.rule_files
    }
