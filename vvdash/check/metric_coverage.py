"""Every vv_* metric in the catalog is shown on a dashboard or used by a rule.

A metric nobody looks at is either dead instrumentation or a missing panel; the
build names the unused ones. Usage is read from the parsed PromQL of panel targets,
variable queries, annotations and rule expressions (a histogram counts when any of
its _bucket/_sum/_count series is used; a recording rule counts as its expression).
"""

from __future__ import annotations

import promql_parser as pp

from vvdash.check.contract import label_values, substitute_variables, variable_query
from vvdash.findings import Finding
from vvdash.model.dashboards import iter_targets

CHECK = "metric-coverage"


def selected_names(expr: str) -> set[str]:
    """Metric names selected anywhere in a PromQL expression (empty when it does not parse)."""
    try:
        tree = pp.parse(substitute_variables(expr))
    except (ValueError, RuntimeError):
        return set()
    names: set[str] = set()
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, pp.VectorSelector):
            if node.name:
                names.add(node.name)
            for m in node.matchers.matchers:
                if m.name == "__name__" and str(m.op) == "MatchOp.Equal":
                    names.add(m.value)
            continue
        if isinstance(node, pp.MatrixSelector):
            stack.append(node.vector_selector)
        elif isinstance(node, (pp.SubqueryExpr, pp.ParenExpr, pp.UnaryExpr)):
            stack.append(node.expr)
        elif isinstance(node, pp.Call):
            stack.extend(node.args)
        elif isinstance(node, pp.AggregateExpr):
            stack.append(node.expr)
            if node.param is not None:
                stack.append(node.param)
        elif isinstance(node, pp.BinaryExpr):
            stack.extend([node.lhs, node.rhs])
    return names


def dashboard_exprs(model: dict) -> list[str]:
    exprs = [t["expr"] for _, t in iter_targets(model) if t.get("expr")]
    for var in model.get("templating", {}).get("list", []):
        if var.get("type") == "query":
            query = variable_query(var)
            parts = label_values(query)
            exprs.append(parts[0] if parts else query)
    exprs += [a["expr"] for a in model.get("annotations", {}).get("list", []) if a.get("expr")]
    return exprs


def used_metrics(project) -> dict[str, set[str]]:
    """Catalog metric name -> where it is used ('dashboard <uid>' or 'rules <group>')."""
    series = project.catalog.series
    used: dict[str, set[str]] = {}
    # A panel reading a recorded series shows the metrics the record is computed from.
    recorded: dict[str, list[str]] = {}
    for rule_file in project.rule_files:
        for _, rule in rule_file.rules():
            if hasattr(rule, "record"):
                recorded.setdefault(rule.record, []).append(rule.expr)

    def record(expr: str, where: str, seen: frozenset = frozenset()):
        for name in selected_names(expr):
            s = series.get(name)
            if s is not None:
                used.setdefault(s.metric.name, set()).add(where)
            elif name in recorded and name not in seen:
                for source in recorded[name]:
                    record(source, where, seen | {name})

    for dash in project.dashboards:
        for expr in dashboard_exprs(dash.model):
            record(expr, f"dashboard {dash.uid}")
    for rule_file in project.rule_files:
        for group, rule in rule_file.rules():
            record(rule.expr, f"rules {group.name}")
    return used


def unused_vv_metrics(project) -> list[str]:
    used = used_metrics(project)
    return sorted(m.name for m in project.catalog.vv_metrics() if m.name not in used)


def check_project(project) -> list[Finding]:
    unused = unused_vv_metrics(project)
    if not unused:
        return []
    return [Finding("catalog", f"{len(unused)} vv_* metric(s) on no dashboard and in no rule: "
                               f"{', '.join(unused)}", CHECK)]
