"""Rule-test coverage: every alert and recording rule has a promtool unit test in rules/tests/.

Per alert: a case where it fires (each severity it is defined with) and a near-miss case
where it stays quiet (`exp_alerts` empty). Per recording rule: a `promql_expr_test` whose
expression uses it. Every test group sets `interval`. Run by `vvdash lint` and the tests,
not by the build, so a rule can be drafted before its test.
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from vvdash import PROJECT_ROOT
from vvdash.check import Finding
from vvdash.errors import VVError

GATES_BUILD = False
TESTS_DIR = PROJECT_ROOT / "rules" / "tests"
CHECK = "rule-test-coverage"


def test_files(tests_dir: Path = TESTS_DIR) -> list[Path]:
    return sorted(p for p in tests_dir.glob("*.yml"))


def load_test_file(path: Path) -> dict:
    try:
        data = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as exc:
        raise VVError(f"{path}: cannot read promtool test file: {str(exc).splitlines()[0]}") from None
    if not isinstance(data, dict) or not isinstance(data.get("tests"), list):
        raise VVError(f"{path}: not a promtool test file (no tests: list)")
    return data


def coverage(tests_dir: Path = TESTS_DIR):
    """(firing severities per alert, alerts with a quiet case, expressions tested, findings on the files)."""
    firing: dict[str, set] = {}
    quiet: set[str] = set()
    exprs: list[str] = []
    findings: list[Finding] = []
    for path in test_files(tests_dir):
        data = load_test_file(path)
        rel = f"rules/tests/{path.name}"
        for i, test in enumerate(data["tests"]):
            if not isinstance(test, dict):
                findings.append(Finding(f"{rel} / tests[{i}]", "not a mapping", CHECK))
                continue
            if "interval" not in test:
                findings.append(Finding(f"{rel} / tests[{i}]", "interval is not set explicitly", CHECK))
            for case in test.get("alert_rule_test") or []:
                name = case.get("alertname", "")
                expected = case.get("exp_alerts") or []
                if expected:
                    for alert in expected:
                        sev = (alert.get("exp_labels") or {}).get("severity", "")
                        firing.setdefault(name, set()).add(sev)
                else:
                    quiet.add(name)
            for case in test.get("promql_expr_test") or []:
                exprs.append(case.get("expr", ""))
    return firing, quiet, exprs, findings


def check_project(project, tests_dir: Path = TESTS_DIR) -> list[Finding]:
    firing, quiet, exprs, findings = coverage(tests_dir)
    alerts: dict[str, tuple[str, list[str]]] = {}
    for rule_file, group, alert in project.alerts():
        where, severities = alerts.setdefault(alert.alert, (f"{rule_file.source} / {group.name} / {alert.alert}", []))
        severities.append(alert.severity)
    for name, (where, severities) in alerts.items():
        for sev in dict.fromkeys(severities):
            if sev not in firing.get(name, set()):
                findings.append(Finding(where, f"no promtool test where it fires with severity {sev}", CHECK))
        if name not in quiet:
            findings.append(Finding(where, "no promtool near-miss test where it stays quiet (exp_alerts: [])", CHECK))
    used = set()
    for expr in exprs:
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
