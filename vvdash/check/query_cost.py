"""What the dashboard linter's cost and job-scope rules know about the recording rules and the catalog.

RecordIndex: for each raw series, the recording rule that records its rate (so a panel
computing a quantile or a ratio from the raw rate can read the record instead); for each
series name, the jobs that can expose it (catalog component -> job; a record: the jobs its
expression selects); for each record evaluated at the normal interval, its copy evaluated
every 5 minutes, if any; for each raw counter, a record of its rate in a group with an interval of
its own (a 5-minute downsampling group), if any.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

import promql_parser as pp

from vvdash import catalog
from vvdash.jobs import BLACKBOX_SELF_JOB, JOB, PUSHED_JOBS

ONE_NUMBER_PANELS = ("stat", "gauge", "bargauge")
ALL_JOBS = frozenset({*JOB.values(), BLACKBOX_SELF_JOB})
# Series every scraped job has (Prometheus' own per target, or each process's client library).
_EVERY_JOB = ("up", "scrape_duration_seconds", "scrape_samples_scraped")
_RATE_FUNCS = ("rate", "irate", "increase")
_RATE_RECORD = re.compile(r":(rate|irate|increase)\w*$")
# A downsampling record (rules/downsample.py): a gauge (or a ratio of gauges) reduced, or a counter's
# increase, over a window.
_DOWNSAMPLE_RECORD = re.compile(r":(ratio_)?((min|max|avg|last)_over_time|increase)\d\w*$")
# A copy of a record, evaluated every 5 minutes under the name `<record>_every5m` with its expression.
_COPY_SUFFIX = re.compile(r"_every\d+[smh]$")
_DOWNSAMPLE_FUNCS = ("min_over_time", "max_over_time", "avg_over_time", "last_over_time", "increase")


def _walk(node, parents=()):
    yield node, parents
    children: list = []
    if isinstance(node, pp.MatrixSelector):
        children = [node.vector_selector]
    elif isinstance(node, (pp.SubqueryExpr, pp.ParenExpr, pp.UnaryExpr)):
        children = [node.expr]
    elif isinstance(node, pp.Call):
        children = list(node.args)
    elif isinstance(node, pp.AggregateExpr):
        children = [node.expr] + ([node.param] if node.param is not None else [])
    elif isinstance(node, pp.BinaryExpr):
        children = [node.lhs, node.rhs]
    for child in children:
        yield from _walk(child, parents + (node,))


def job_matches(matcher, job: str, all_value: str) -> bool:
    """Whether a job matcher (with $job standing for the variable's All value) selects `job`."""
    # The linter parses $job as vvdash_var_job (vvdash.check.contract.substitute_variables).
    value = re.sub(r"\$\{?job\}?|vvdash_var_job", all_value, matcher.value)
    op = str(matcher.op)
    if op.endswith("NotRe"):
        return re.fullmatch(value, job) is None
    if op.endswith("Re"):
        return re.fullmatch(value, job) is not None
    if op.endswith("NotEqual"):
        return job != value
    return job == value


@dataclass
class RecordIndex:
    rates: dict[str, str] = field(default_factory=dict)       # raw series -> a record of its rate
    jobs: dict[str, frozenset] = field(default_factory=dict)  # record -> jobs it can carry
    downsampled: dict[str, str] = field(default_factory=dict)  # raw series -> its downsampling record
    copies: dict[str, str] = field(default_factory=dict)      # record -> its 5-minute copy
    slow_rates: dict[str, str] = field(default_factory=dict)  # raw counter -> a record of its rate every 5 m

    @classmethod
    def of_rules(cls, records) -> RecordIndex:
        """From (file, group, Record) triples, (group, Record) pairs or Record objects of the project's
        rule files (a group tells its interval)."""
        index = cls()
        rules = [item[-1] if isinstance(item, tuple) else item for item in records]
        slow = {id(item[-1]) for item in records if isinstance(item, tuple) and bool(getattr(item[-2], "interval", None))}
        # Twice: a record read by a record defined in a later file gets its jobs on the second pass.
        seen: set[str] = set()
        for rule in rules + rules:
            tree = pp.parse(rule.expr)
            jobs: set[str] = set()
            every_selector_has_job = True
            for node, parents in _walk(tree):
                if not isinstance(node, pp.VectorSelector):
                    continue
                name = node.name or ""
                literal = [m.value for m in node.matchers.matchers if m.name == "job" and str(m.op).endswith("Equal")
                           and not str(m.op).endswith("NotEqual")]
                if literal:
                    jobs |= set(literal)
                elif ":" in name and name in index.jobs:
                    jobs |= index.jobs[name]
                else:
                    every_selector_has_job = False
                if ":" not in name and len(parents) >= 2 and isinstance(parents[-1], pp.MatrixSelector) \
                        and isinstance(parents[-2], pp.Call) and parents[-2].func.name in _DOWNSAMPLE_FUNCS \
                        and _DOWNSAMPLE_RECORD.search(rule.record):
                    index.downsampled.setdefault(name, rule.record)
                if ":" not in name and len(parents) >= 2 and isinstance(parents[-1], pp.MatrixSelector) \
                        and isinstance(parents[-2], pp.Call) and parents[-2].func.name in _RATE_FUNCS:
                    if id(rule) in slow and _RATE_RECORD.search(rule.record) and parents[-2].func.name == "rate":
                        index.slow_rates.setdefault(name, rule.record)
                    # Prefer a record of the rate itself (…:rate5m) to one computed from it (a quantile).
                    if name not in index.rates or _RATE_RECORD.search(rule.record):
                        if not (name in index.rates and _RATE_RECORD.search(index.rates[name])):
                            index.rates[name] = rule.record
            found = frozenset(jobs if every_selector_has_job else ALL_JOBS)
            first_pass = rule.record not in seen
            seen.add(rule.record)
            index.jobs[rule.record] = found if first_pass else index.jobs[rule.record] | found
        exprs = {rule.record: rule.expr for rule in rules}
        for rule in rules:
            original = _COPY_SUFFIX.sub("", rule.record)
            if original != rule.record and exprs.get(original) == rule.expr:
                index.copies[original] = rule.record
        return index

    @classmethod
    def of_project(cls) -> RecordIndex:
        return _project_index()

    def rate_recorded(self, series: str) -> str | None:
        return self.rates.get(series)

    def downsampled_by(self, series: str) -> str | None:
        return self.downsampled.get(series)

    def copied_by(self, record: str) -> str | None:
        return self.copies.get(record)

    def rate_every5m_by(self, series: str) -> str | None:
        return self.slow_rates.get(series)

    def exposing_jobs(self, name: str) -> frozenset:
        """Jobs whose series `name` can be: one component's job, or every job for shared series."""
        if name in self.jobs:
            return self.jobs[name]
        series = catalog.load().series.get(name)
        if series is None or name in _EVERY_JOB or series.metric.open_labels:
            return ALL_JOBS
        metric = series.metric
        if metric.component == "pushgateway":       # push_time_seconds carries the pushing job's name
            return frozenset(PUSHED_JOBS)
        if metric.component not in JOB:             # process_*: every process exposes them
            return ALL_JOBS
        return frozenset({JOB[metric.component]})


@lru_cache(maxsize=1)
def _project_index() -> RecordIndex:
    from vvdash import definitions, inventory
    from vvdash.model.rules import Record

    rules = [(g, r) for f in definitions.load_rules(inventory.load()) for g, r in f.rules() if isinstance(r, Record)]
    return RecordIndex.of_rules(rules)
