"""Rule-test coverage: every alert and recording rule has a promtool unit test, rendered from
the scenarios in rules/tests/*.py or hand-written in rules/tests/*.yml (both count).

Per alert: a case where it fires (each severity it is defined with) and a near-miss case
where it stays quiet (`exp_alerts` empty) in a test group whose input_series feed at least
one metric the alert reads (directly, or through a recording rule it reads; the recording
rule's own output counts too), so the quiet case could have fired. An alert that reads no series
(the always-firing heartbeat) needs only its firing case. Per recording rule: a
`promql_expr_test` whose expression uses it. Every test group sets `interval`. A test file
of the wrong shape is a one-line finding naming the file and the test. Run by `vvdash lint` and the tests,
not by the build, so a rule can be drafted before its test.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import promql_parser as pp
import yaml

from vvdash import project_folder
from vvdash.check.metric_coverage import selected_names
from vvdash.findings import Finding
from vvdash.yaml_input import read_listing

TESTS_DIR = "rules/tests"      # the hand-written promtool tests, in the project folder
CHECK = "rule-test-coverage"


def tests_dir() -> Path:
    return project_folder.path(TESTS_DIR)


def test_files(folder: Path | None = None) -> list[Path]:
    return sorted(p for p in (folder or tests_dir()).glob("*.yml"))


def load_test_file(path: Path) -> dict:
    return read_listing(path, "tests", "promtool test file", "not a promtool test file (no tests: list)")


@dataclass
class Coverage:
    firing: dict[str, set] = field(default_factory=dict)     # alert -> severities seen firing
    quiet: dict[str, list] = field(default_factory=dict)     # alert -> [(where, input series names)]
    exprs: list[str] = field(default_factory=list)           # promql_expr_test expressions
    findings: list[Finding] = field(default_factory=list)    # malformed files and groups


def series_name(series: str) -> str | None:
    """The metric name of an input_series selector (`name{...}` or `{__name__="name", ...}`)."""
    try:
        node = pp.parse(series)
    except (ValueError, RuntimeError):
        return None
    if not isinstance(node, pp.VectorSelector):
        return None
    if node.name:
        return node.name
    return next((m.value for m in node.matchers.matchers if m.name == "__name__" and str(m.op) == "MatchOp.Equal"),
                None)


def _list(value, what: str, problems: list[str]) -> list:
    if value is None:
        return []
    if not isinstance(value, list):
        problems.append(f"{what}: expected a list, got {type(value).__name__}")
        return []
    return value


def _input_names(test: dict, problems: list[str]) -> set[str]:
    names = set()
    for j, item in enumerate(_list(test.get("input_series"), "input_series", problems)):
        series = item.get("series") if isinstance(item, dict) else None
        if not isinstance(series, str):
            problems.append(f"input_series[{j}]: expected a mapping with a series string")
            continue
        name = series_name(series)
        if name is None:
            problems.append(f"input_series[{j}].series: not a series selector: {series!r}")
        else:
            names.add(name)
    return names


def _alert_cases(test: dict, where: str, names: set[str], cov: Coverage, problems: list[str],
                 near_miss=lambda alert: True):
    for k, case in enumerate(_list(test.get("alert_rule_test"), "alert_rule_test", problems)):
        at = f"alert_rule_test[{k}]"
        if not isinstance(case, dict):
            problems.append(f"{at}: expected a mapping with alertname and exp_alerts")
            continue
        name = case.get("alertname")
        if not isinstance(name, str) or not name:
            problems.append(f"{at}.alertname: expected an alert name, got {name!r}")
            continue
        expected = _list(case.get("exp_alerts"), f"{at}.exp_alerts", problems)
        if not expected and case.get("exp_alerts") not in (None, []):
            continue   # not a list: reported above, neither firing nor quiet
        if not expected and near_miss(name):
            cov.quiet.setdefault(name, []).append((where, names))
        for n, alert in enumerate(expected):
            labels = alert.get("exp_labels", {}) if isinstance(alert, dict) else None
            if not isinstance(labels, dict):
                problems.append(f"{at}.exp_alerts[{n}]: expected a mapping with exp_labels (a mapping)")
                continue
            cov.firing.setdefault(name, set()).add(labels.get("severity", ""))


def _documents(tests_dir: Path | None, rendered: dict[str, bytes]) -> list[tuple[str, dict]]:
    docs = [(f"rules/tests/{path.name}", load_test_file(path)) for path in test_files(tests_dir)]
    for rel, content in sorted(rendered.items()):
        # Rendered by the build itself: libyaml's safe loader, when there, reads them ten times faster.
        docs.append((f"generated/{rel}", yaml.load(content, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))))
    return docs


# Kinds of rendered scenario whose quiet checks are near misses ("VVX | near miss: ..."); a quiet
# check in a firing or absent-data scenario does not stand in for one.
NEAR_MISS_KINDS = ("near miss", "window edge", "for edge")


def _is_near_miss(rel: str, test: dict, alert: str) -> bool:
    """Whether a quiet case for `alert` is a near miss: in a rendered file, the scenario about that
    alert (a test group may hold several, joined by " || ") is of a near-miss kind."""
    if not rel.startswith("generated/"):
        return True                     # hand-written: any quiet case counts
    for member in str(test.get("name", "")).split(" || "):
        parts = member.split(" | ")
        if len(parts) > 1 and parts[0] == alert and parts[1].split(":")[0] in NEAR_MISS_KINDS:
            return True
    return False


def coverage(tests_dir: Path | None = None, rendered: dict[str, bytes] | None = None) -> Coverage:
    """What the promtool test files cover (hand-written ones in `tests_dir` and those rendered
    from the scenarios, {path under generated/: bytes}), and one finding per malformed test."""
    cov = Coverage()
    for rel, data in _documents(tests_dir, rendered or {}):
        for i, test in enumerate(data["tests"]):
            where = f"{rel} / tests[{i}]"
            if not isinstance(test, dict):
                cov.findings.append(Finding(where, "not a mapping", CHECK))
                continue
            if isinstance(test.get("name"), str):
                where += f" ({test['name']})"
            if "interval" not in test:
                cov.findings.append(Finding(where, "interval is not set explicitly", CHECK))
            problems: list[str] = []
            names = _input_names(test, problems)
            _alert_cases(test, where, names, cov, problems, near_miss=lambda alert, rel=rel, test=test: _is_near_miss(rel, test, alert))
            for k, case in enumerate(_list(test.get("promql_expr_test"), "promql_expr_test", problems)):
                if not isinstance(case, dict) or not isinstance(case.get("expr"), str):
                    problems.append(f"promql_expr_test[{k}]: expected a mapping with an expr string")
                    continue
                cov.exprs.append(case["expr"])
            cov.findings += [Finding(where, p, CHECK) for p in problems]
    return cov


def alert_inputs(expr: str, records: dict[str, list[str]]) -> set[str]:
    """Metric names an expression reads: its selectors, and through each recording rule it reads,
    that rule's own inputs (the rule's output name stays in the set: input_series may feed it)."""
    names: set[str] = set()
    todo = list(selected_names(expr))
    while todo:
        name = todo.pop()
        if name in names:
            continue
        names.add(name)
        for source in records.get(name, []):
            todo.extend(selected_names(source))
    return names


def check_project(project, tests_dir: Path, rendered: dict[str, bytes]) -> list[Finding]:
    """`tests_dir`: the hand-written tests; `rendered`: the promtool test files the scenarios render (scenarios.render.rule_test_files)."""
    cov = coverage(tests_dir, rendered)
    findings = list(cov.findings)
    records: dict[str, list[str]] = {}
    for _, _, record in project.records():
        records.setdefault(record.record, []).append(record.expr)
    alerts: dict[str, tuple[str, list[str], set[str]]] = {}
    for rule_file, group, alert in project.alerts():
        where, severities, inputs = alerts.setdefault(
            alert.alert, (f"{rule_file.source} / {group.name} / {alert.alert}", [], set()))
        severities.append(alert.severity)
        inputs |= alert_inputs(alert.expr, records)
    for name, (where, severities, inputs) in alerts.items():
        for sev in dict.fromkeys(severities):
            if sev not in cov.firing.get(name, set()):
                findings.append(Finding(where, f"no promtool test where it fires with severity {sev}", CHECK))
        cases = cov.quiet.get(name, [])
        if not inputs:
            # Reads no series (the heartbeat's vector(1)): nothing in a test can make it quiet; its
            # silence is what the external dead man's switch detects.
            continue
        if not cases:
            findings.append(Finding(where, "no promtool near-miss test where it stays quiet (exp_alerts: [])", CHECK))
        elif not any(fed & inputs for _, fed in cases):
            findings.append(Finding(
                where, f"near-miss test ({'; '.join(w for w, _ in cases)}) has no input_series for any metric "
                       f"the alert reads ({', '.join(sorted(inputs))}), so it could never fire", CHECK))
    used = set()
    for expr in cov.exprs:
        used.update(re.findall(r"[a-zA-Z_:][a-zA-Z0-9_:]*", expr))
    seen = set()
    for rule_file, group, record in project.records():
        if record.record in seen:
            continue
        seen.add(record.record)
        if record.record not in used:
            findings.append(Finding(f"{rule_file.source} / {group.name} / {record.record}",
                                    "no promql_expr_test uses this recording rule", CHECK))
    return findings
