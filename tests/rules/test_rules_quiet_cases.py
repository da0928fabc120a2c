"""The near-miss check: a quiet case counts only when its input could have fired the alert;
a promtool test file of the wrong shape is a one-line finding naming the file and the test."""

from __future__ import annotations

import pytest
import yaml

from vvdash.check import rule_tests
from vvdash.project import load_project

UP = 'up{job="node",instance="a:9100",site="local"}'


@pytest.fixture(scope="module")
def project():
    return load_project()


def _findings(project, tmp_path, tests: list, name: str = "quiet.yml") -> list[str]:
    (tmp_path / name).write_text(yaml.safe_dump({"rule_files": ["x.yml"], "tests": tests}))
    return [str(f) for f in rule_tests.check_project(project, tmp_path, rendered={})]


def _quiet(alertname: str, series: list[str], eval_time: str = "10m") -> dict:
    return {"name": f"{alertname} stays quiet", "interval": "1m",
            "input_series": [{"series": s, "values": "1x20"} for s in series],
            "alert_rule_test": [{"eval_time": eval_time, "alertname": alertname, "exp_alerts": []}]}


def _about(findings: list[str], alert: str) -> list[str]:
    return [f for f in findings if f"/ {alert}:" in f and "near-miss" in f]


def test_a_quiet_case_without_input_is_reported(project, tmp_path):
    findings = _findings(project, tmp_path, [_quiet("VVTargetDown", [], eval_time="0m")])
    [finding] = _about(findings, "VVTargetDown")
    assert "rules/tests/quiet.yml / tests[0] (VVTargetDown stays quiet)" in finding
    assert "has no input_series for any metric the alert reads (up), so it could never fire" in finding


def test_a_quiet_case_fed_other_metrics_is_reported(project, tmp_path):
    findings = _findings(project, tmp_path, [_quiet("VVTargetDown", ['node_load1{job="node",site="local"}'])])
    assert len(_about(findings, "VVTargetDown")) == 1


def test_a_quiet_case_fed_the_alerts_metric_counts(project, tmp_path):
    findings = _findings(project, tmp_path, [_quiet("VVTargetDown", [UP])])
    assert _about(findings, "VVTargetDown") == []
    # the same check still reports the other alerts' missing near-misses
    assert any("VVDvrDisconnected: no promtool near-miss test" in f for f in findings)


@pytest.mark.parametrize("series", [
    'vv_storage_used_bytes{job="storage_exporter",instance="a:9307",site="local",folder="input"}',
    'folder:vv_storage_used_bytes:deriv1h{job="storage_exporter",site="local",folder="input"}',
    '{__name__="vv_storage_used_bytes",job="storage_exporter",site="local",folder="input"}',
], ids=["source-metric", "recording-rule-output", "name-matcher"])
def test_recording_rules_count_as_their_sources(project, tmp_path, series):
    findings = _findings(project, tmp_path, [_quiet("VVStorageFolderGrowing", [series])])
    assert _about(findings, "VVStorageFolderGrowing") == []


def test_one_good_quiet_case_is_enough(project, tmp_path):
    findings = _findings(project, tmp_path, [_quiet("VVTargetDown", []), _quiet("VVTargetDown", [UP])])
    assert _about(findings, "VVTargetDown") == []


@pytest.mark.parametrize("test, message", [
    ({"interval": "1m", "alert_rule_test": ["VVTargetDown"]},
     "tests[0]: alert_rule_test[0]: expected a mapping with alertname and exp_alerts"),
    ({"interval": "1m", "alert_rule_test": [{"eval_time": "1m", "alertname": "VVTargetDown",
                                             "exp_alerts": ["critical"]}]},
     "tests[0]: alert_rule_test[0].exp_alerts[0]: expected a mapping with exp_labels (a mapping)"),
    ({"interval": "1m", "alert_rule_test": [{"eval_time": "1m", "alertname": "VVTargetDown",
                                             "exp_alerts": [{"exp_labels": "severity=critical"}]}]},
     "tests[0]: alert_rule_test[0].exp_alerts[0]: expected a mapping with exp_labels (a mapping)"),
    ({"interval": "1m", "alert_rule_test": [{"eval_time": "1m", "alertname": "VVTargetDown",
                                             "exp_alerts": "none"}]},
     "tests[0]: alert_rule_test[0].exp_alerts: expected a list, got str"),
    ({"interval": "1m", "alert_rule_test": [{"eval_time": "1m", "exp_alerts": []}]},
     "tests[0]: alert_rule_test[0].alertname: expected an alert name, got None"),
    ({"interval": "1m", "alert_rule_test": {"alertname": "VVTargetDown"}},
     "tests[0]: alert_rule_test: expected a list, got dict"),
    ({"interval": "1m", "input_series": [UP]},
     "tests[0]: input_series[0]: expected a mapping with a series string"),
    ({"interval": "1m", "input_series": [{"series": "up{", "values": "1"}]},
     "tests[0]: input_series[0].series: not a series selector: 'up{'"),
    ({"interval": "1m", "promql_expr_test": [{"eval_time": "1m"}]},
     "tests[0]: promql_expr_test[0]: expected a mapping with an expr string"),
    ("just a string", "tests[0]: not a mapping"),
], ids=["case-not-mapping", "alert-not-mapping", "labels-not-mapping", "exp-alerts-not-list", "no-alertname",
        "cases-not-list", "series-not-mapping", "series-unparsable", "expr-missing", "test-not-mapping"])
def test_a_malformed_test_is_one_line_naming_file_and_test(project, tmp_path, test, message):
    findings = _findings(project, tmp_path, [test], name="bad.yml")
    shape = [f for f in findings if f.startswith("rules/tests/bad.yml / tests[0]")]
    assert len(shape) == 1, shape
    assert message.split(": ", 1)[1] in shape[0]
    assert "\n" not in shape[0]
