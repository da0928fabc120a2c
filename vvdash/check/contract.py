"""The metric contract: every PromQL expression is checked against the catalog.

An expression is parsed (promql-parser) after Grafana variables are substituted, then
walked: every selector must name a catalog series or a recording rule; every label
used in a matcher, by/without, on/ignoring or group_left/right must exist on its
input; rate/irate/increase only take counters; a counter is never used raw.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import promql_parser as pp

from vvdash.catalog import Catalog

# Grafana's built-in variables: the _s/_ms forms are numbers, the others durations;
# any other variable $name becomes the plain word vvdash_var_<name> (it only ever sits
# inside a matcher's quotes), so a matcher's variable can still be told.
_NUMBER_VARS = re.compile(r"\$\{?__(range|interval)_(s|ms)\}?")
_RATE_INTERVAL_VAR = re.compile(r"\$\{?__rate_interval(:[a-z]+)?\}?")
_DURATION_VARS = re.compile(r"\$\{?(__interval|__range)(:[a-z]+)?\}?")
_VARIABLE = re.compile(r"\$\{([A-Za-z0-9_]+)(?::[A-Za-z]+)?\}|\$([A-Za-z_][A-Za-z0-9_]*)|\[\[([A-Za-z0-9_]+)\]\]")
VARIABLE_PREFIX = "vvdash_var_"
DEFAULT_DURATION = "5m"
# Grafana template queries: label_values(selector, label) and the selector-less label_values(label).
_LABEL_VALUES = re.compile(r"\s*label_values\(\s*(.*?)\s*,\s*([A-Za-z_][A-Za-z0-9_]*)\s*\)\s*", re.S)
_BARE_LABEL_VALUES = re.compile(r"\s*label_values\(\s*[A-Za-z_][A-Za-z0-9_]*\s*\)\s*")

# Functions whose argument may be a raw counter.
_COUNTER_FUNCS = {"rate", "irate", "increase", "resets", "absent", "absent_over_time",
                  "present_over_time", "count_over_time", "timestamp", "changes"}
_RATE_FUNCS = {"rate", "irate", "increase"}
_PASS_KIND = {"label_replace", "label_join", "sort", "sort_desc", "last_over_time"}
_COUNT_AGGS = {"count", "group", "count_values"}
_SELECTING_AGGS = {"topk", "bottomk", "limitk"}

ANY = None  # label set unknown: skip label checks downstream


@dataclass(frozen=True)
class Value:
    labels: frozenset | None     # output label names, None when unknown
    kind: str                    # counter | gauge | scalar | string
    name: str = ""               # metric name, for messages
    range: bool = False          # a range vector (x[5m], a subquery): only functions take it


@dataclass(frozen=True)
class Recorded:
    labels: frozenset | None
    kind: str


def substitute_variables(expr: str, rate_interval: str = DEFAULT_DURATION) -> str:
    """A dashboard query made parseable: built-in variables become numbers or durations
    ($__rate_interval becomes `rate_interval`), `$name` becomes vvdash_var_<name>."""
    expr = _NUMBER_VARS.sub("300", expr)
    expr = _RATE_INTERVAL_VAR.sub(rate_interval, expr)
    expr = _DURATION_VARS.sub(DEFAULT_DURATION, expr)
    return _VARIABLE.sub(lambda m: VARIABLE_PREFIX + next(g for g in m.groups() if g), expr)


def variable_query(var: dict) -> str:
    """A template variable's query text (Grafana stores it as a string or as {query: ...})."""
    query = var.get("query")
    return query.get("query", "") if isinstance(query, dict) else (query or "")


def label_values(query: str) -> tuple[str, str] | None:
    """`label_values(selector, label)` -> (selector, label); None for any other query."""
    m = _LABEL_VALUES.fullmatch(query)
    return (m.group(1), m.group(2)) if m else None


def is_bare_label_values(query: str) -> bool:
    """`label_values(label)`: no expression to check."""
    return _BARE_LABEL_VALUES.fullmatch(query) is not None


_NAME_ALTERNATION = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*(\|[a-zA-Z_:][a-zA-Z0-9_:]*)*")


def _name_alternatives(matchers) -> list[str]:
    """`__name__=~"up|push_time_seconds"`: the plain names it lists (empty for any other regex)."""
    for m in matchers:
        if m.name == "__name__" and str(m.op).endswith("Re") and "Not" not in str(m.op) \
                and _NAME_ALTERNATION.fullmatch(m.value):
            return m.value.split("|")
    return []


class Contract:
    def __init__(self, catalog: Catalog, recorded: dict[str, Recorded] | None = None):
        self.catalog = catalog
        self.recorded = dict(recorded or {})

    # -- public ---------------------------------------------------------------
    def check(self, expr: str, allow_raw_counter: bool = False) -> list[str]:
        """Problems with one expression (empty when it honours the contract)."""
        problems: list[str] = []
        try:
            tree = pp.parse(substitute_variables(expr))
        except (ValueError, RuntimeError) as exc:
            return [f"PromQL does not parse: {str(exc).splitlines()[0]}"]
        value = self._walk(tree, problems)
        if value.range:
            problems.append("a range vector cannot be graphed or alerted on; wrap it in a function "
                            "such as rate() or max_over_time()")
        elif value.kind == "counter" and not allow_raw_counter:
            problems.append(f"counter {value.name} used raw; wrap it in rate() or increase()")
        return list(dict.fromkeys(problems))

    def output(self, expr: str) -> Recorded:
        """Labels and kind of an expression's result (for a recording rule's output)."""
        value = self._walk(pp.parse(substitute_variables(expr)), [])
        return Recorded(value.labels, "counter" if value.kind == "counter" else "gauge")

    def check_label_values(self, query: str) -> list[str]:
        """A Grafana template query: label_values(), query_result() or a plain expression."""
        parts = label_values(query)
        if parts:
            selector, label = parts
            problems = self.check(selector, allow_raw_counter=True)
            if problems:
                return problems
            value = self._walk(pp.parse(substitute_variables(selector)), [])
            if value.labels is not None and label not in value.labels:
                return [f"label {label!r} is not on {value.name}"]
            return []
        if is_bare_label_values(query):
            return []
        m = re.fullmatch(r"\s*query_result\((.*)\)\s*", query, re.S)
        return self.check(m.group(1) if m else query)

    # -- walking --------------------------------------------------------------
    def _lookup(self, name: str, problems: list[str]) -> Value:
        series = self.catalog.series.get(name)
        if series is not None:
            labels = ANY if series.metric.open_labels else series.labels
            return Value(labels, series.kind, name)
        rec = self.recorded.get(name)
        if rec is not None:
            return Value(rec.labels, rec.kind, name)
        if name in self.catalog.metrics and self.catalog.metrics[name].type == "histogram":
            problems.append(f"histogram {name} has no series of that name; use {name}_bucket, _sum or _count")
        else:
            problems.append(f"unknown metric {name} (not in the catalog, not a recording rule)")
        return Value(ANY, "gauge", name)

    def _selector(self, vs, problems) -> Value:
        name = vs.name
        matchers = list(vs.matchers.matchers)
        for group in vs.matchers.or_matchers or []:
            matchers.extend(group)
        if not name:
            for m in matchers:
                if m.name == "__name__" and str(m.op).endswith("Equal") and "Not" not in str(m.op):
                    name = m.value
        if not name:
            names = _name_alternatives(matchers)
            if not names:
                problems.append("selector without a metric name cannot be checked")
                return Value(ANY, "gauge")
            value = self._union([self._lookup(n, problems) for n in names])
        else:
            value = self._lookup(name, problems)
        if value.labels is not None:
            for m in matchers:
                if m.name != "__name__" and m.name not in value.labels:
                    problems.append(f"label {m.name!r} is not on {name}")
        return value

    @staticmethod
    def _union(values: list[Value]) -> Value:
        """Several metrics selected at once: only the labels all of them carry are sure to be there."""
        known = [v.labels for v in values if v.labels is not None]
        labels = frozenset.intersection(*known) if len(known) == len(values) else None
        kind = "counter" if all(v.kind == "counter" for v in values) else "gauge"
        return Value(labels, kind, "|".join(v.name for v in values))

    def _need_labels(self, labels, have: Value, what: str, problems):
        if have.labels is None:
            return
        for label in labels:
            if label not in have.labels:
                problems.append(f"{what} label {label!r} is not on {have.name or 'its input'}")

    def _raw_counter(self, value: Value, problems, context: str):
        if value.kind == "counter":
            problems.append(f"counter {value.name} used raw in {context}; wrap it in rate() or increase()")

    def _walk(self, node, problems) -> Value:
        if isinstance(node, pp.VectorSelector):
            return self._selector(node, problems)
        if isinstance(node, pp.MatrixSelector):
            inner = self._selector(node.vector_selector, problems)
            return Value(inner.labels, inner.kind, inner.name, range=True)
        if isinstance(node, pp.SubqueryExpr):
            inner = self._walk(node.expr, problems)
            return Value(inner.labels, inner.kind, inner.name, range=True)
        if isinstance(node, (pp.ParenExpr, pp.UnaryExpr)):
            return self._walk(node.expr, problems)
        if isinstance(node, pp.NumberLiteral):
            return Value(frozenset(), "scalar")
        if isinstance(node, pp.StringLiteral):
            return Value(frozenset(), "string")
        if isinstance(node, pp.Call):
            return self._call(node, problems)
        if isinstance(node, pp.AggregateExpr):
            return self._aggregate(node, problems)
        if isinstance(node, pp.BinaryExpr):
            return self._binary(node, problems)
        problems.append(f"unsupported expression {type(node).__name__}")
        return Value(ANY, "gauge")

    def _call(self, node, problems) -> Value:
        func = node.func.name
        args = [self._walk(a, problems) for a in node.args]
        vectors = [a for a in args if a.kind in ("counter", "gauge")]
        first = vectors[0] if vectors else Value(frozenset(), "gauge")
        if func in _RATE_FUNCS:
            if first.kind != "counter":
                problems.append(f"{func}() over {first.name}, which is a {first.kind}, not a counter "
                                f"(use deriv() or delta() for gauges)")
            return Value(first.labels, "gauge", first.name)
        if func not in _COUNTER_FUNCS:
            for a in vectors:
                if func not in _PASS_KIND:
                    self._raw_counter(a, problems, f"{func}()")
        if func == "histogram_quantile":
            hist = args[1] if len(args) > 1 else first
            if hist.labels is not None and "le" not in hist.labels:
                problems.append(f"histogram_quantile() input {hist.name or ''} has no 'le' label".replace("  ", " "))
            labels = None if hist.labels is None else hist.labels - {"le"}
            return Value(labels, "gauge", hist.name)
        if func in ("label_replace", "label_join"):
            strings = [a.val for a in node.args if isinstance(a, pp.StringLiteral)]
            dst = strings[0] if strings else None
            sources = strings[2:] if func == "label_replace" else strings[2:]
            if func == "label_replace" and len(strings) >= 3:
                sources = [strings[2]]
            self._need_labels([s for s in sources if s], first, f"{func}() source", problems)
            labels = None if first.labels is None or dst is None else first.labels | {dst}
            return Value(labels, first.kind, first.name)
        if func == "absent" or func == "absent_over_time":
            return Value(ANY, "gauge", first.name)
        if func in ("vector", "time", "scalar", "pi"):
            return Value(frozenset(), "scalar" if func != "vector" else "gauge")
        kind = first.kind if func in _PASS_KIND else "gauge"
        return Value(first.labels, kind, first.name)

    def _aggregate(self, node, problems) -> Value:
        op = str(node.op)
        inner = self._walk(node.expr, problems)
        if node.param is not None:
            self._walk(node.param, problems)
        if op not in _COUNT_AGGS and op not in ("sum", "min", "max", "avg", "topk", "bottomk"):
            self._raw_counter(inner, problems, f"{op}()")
        kind = "gauge" if op in _COUNT_AGGS else inner.kind
        mod = node.modifier
        labels = inner.labels
        if mod is not None:
            grouping = list(mod.labels)
            self._need_labels(grouping, inner, f"{op} {'by' if 'By' in str(mod.type) else 'without'}", problems)
            if op in _SELECTING_AGGS:
                pass  # topk/bottomk pick series; they keep every input label
            elif "By" in str(mod.type):
                labels = frozenset(grouping)
            elif labels is not None:
                labels = labels - frozenset(grouping)
        elif op not in _SELECTING_AGGS:
            labels = frozenset()
        if op == "count_values" and isinstance(node.param, pp.StringLiteral):
            labels = None if labels is None else labels | {node.param.val}
        return Value(labels, kind, inner.name)

    def _binary(self, node, problems) -> Value:
        op = str(node.op)
        lhs = self._walk(node.lhs, problems)
        rhs = self._walk(node.rhs, problems)
        mod = node.modifier
        matching = mod.matching if mod is not None else None
        on = matching is not None and "Include" in str(matching.type)
        match_labels = list(matching.labels) if matching is not None else []
        if on:
            self._need_labels(match_labels, lhs, "on()", problems)
            self._need_labels(match_labels, rhs, "on()", problems)
        elif match_labels:
            for label in match_labels:
                if not any(v.labels is None or label in v.labels for v in (lhs, rhs)):
                    problems.append(f"ignoring() label {label!r} is on neither side")

        if op in ("and", "unless"):
            # A filter: the left side passes through unchanged, counter or not.
            return Value(lhs.labels, lhs.kind, lhs.name)
        if op == "or":
            labels = None if lhs.labels is None or rhs.labels is None else lhs.labels | rhs.labels
            kind = "counter" if "counter" in (lhs.kind, rhs.kind) else "gauge"
            return Value(labels, kind, lhs.name or rhs.name)

        self._raw_counter(lhs, problems, f"'{op}'")
        self._raw_counter(rhs, problems, f"'{op}'")
        if lhs.kind == "scalar":
            return Value(rhs.labels, "gauge" if rhs.kind == "counter" else rhs.kind, rhs.name)
        if rhs.kind == "scalar":
            return Value(lhs.labels, "gauge" if lhs.kind == "counter" else lhs.kind, lhs.name)
        card = str(mod.card) if mod is not None else ""
        if mod is not None and ("ManyToOne" in card or "OneToMany" in card):
            one_side, many_side = (rhs, lhs) if "ManyToOne" in card else (lhs, rhs)
            self._need_labels(list(mod.group_labels), one_side, "group_left/right", problems)
            labels = None if many_side.labels is None else many_side.labels | frozenset(mod.group_labels)
        elif on:
            labels = frozenset(match_labels)   # one-to-one on(): only the matching labels survive
        elif lhs.labels is not None:
            labels = lhs.labels - frozenset(match_labels)
        else:
            labels = None
        return Value(labels, "gauge", lhs.name or rhs.name)


# -- over a whole project ------------------------------------------------------
def check_project(project) -> list:
    """Contract findings for every dashboard query, template query and rule expression."""
    from vvdash.findings import Finding
    from vvdash.model.dashboards import iter_targets
    from vvdash.model.rules import Record

    contract = project.contract
    findings = []
    for dash in project.dashboards:
        for panel, target in iter_targets(dash.model):
            expr = target.get("expr")
            if not expr:
                continue
            where = f'dashboard {dash.uid} / panel "{panel.get("title", "")}"'
            findings += [Finding(where, f"{p}: {expr}", "contract") for p in contract.check(expr)]
        for var in dash.model.get("templating", {}).get("list", []):
            if var.get("type") != "query":
                continue
            query = variable_query(var)
            where = f'dashboard {dash.uid} / variable "{var.get("name", "")}"'
            findings += [Finding(where, f"{p}: {query}", "contract") for p in contract.check_label_values(query)]
    for rule_file in project.rule_files:
        for group, rule in rule_file.rules():
            where = f"rules {group.name} / {rule.name}"
            raw_ok = isinstance(rule, Record)
            findings += [Finding(where, f"{p}: {rule.expr}", "contract")
                         for p in contract.check(rule.expr, allow_raw_counter=raw_ok)]
    return findings
