"""Mutations of the shipped rules, config and tests: each one is caught by `vvdash lint`."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest

from tests.helpers import run_vvdash


def _edit(path, old, new, count=1):
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, count))


# For mutations caught by vvdash's own checks (or alike on every promtool): one generation.
ONE_GENERATION = ("--prometheus", "3")


def _lint(project, *args):
    result = run_vvdash(["lint", *args], project)
    return result, result.stdout + result.stderr


def _promtool_failure(junit, major: str = "") -> str:
    """The failure text of the `promtool X.Y.Z test rules` steps in a lint JUnit report (of one
    generation when `major` is given): promtool's exp/got."""
    cases = [c for c in ET.parse(junit).getroot().iter("testcase")
             if re.fullmatch(rf"promtool {major}[\d.]* test rules", c.get("name"))]
    failures = [c.find("failure") for c in cases if c.find("failure") is not None]
    assert failures, junit.read_text()
    return "\n".join(f.text for f in failures)


def test_alert_without_summary_is_caught(project_copy):
    _edit(project_copy / "rules/summarizer.py", '"critical", "The summarizer runs without a loaded model.",',
          '"critical", "",')
    result, out = _lint(project_copy, *ONE_GENERATION)
    assert result.returncode == 1, out
    assert ("rules/summarizer.py / vv_summarizer_alerts / VVSummarizerModelNotLoaded: summary is missing"
            in result.stdout)
    # The build refuses it too, naming the rule.
    build = run_vvdash(["build", "--check"], project_copy)
    assert build.returncode == 2 and "VVSummarizerModelNotLoaded: summary is missing" in build.stderr


def test_unknown_metric_is_caught(project_copy):
    _edit(project_copy / "rules/dvr.py", "probe_duration_seconds{{{probe}}}", "probe_latency_seconds{{{probe}}}")
    result, out = _lint(project_copy, *ONE_GENERATION)
    # A contract finding, not a failure to run: lint reports it with the rule named and carries on.
    assert result.returncode == 1, out
    assert re.search(r"vv_dvr_alerts / VVDvrProbeSlow: unknown metric probe_latency_seconds", result.stdout), out


def test_bad_for_is_caught(project_copy):
    _edit(project_copy / "vvdash.yaml", "  dvr:\n    disconnected_for: 2m", "  dvr:\n    disconnected_for: 2 minutes")
    result, out = _lint(project_copy, *ONE_GENERATION)
    assert result.returncode == 2, out
    assert "vvdash.yaml: thresholds.dvr.disconnected_for: expected a Prometheus duration" in out
    # The same mistake in a definition is caught by the style check.
    _edit(project_copy / "vvdash.yaml", "disconnected_for: 2 minutes", "disconnected_for: 2m")
    _edit(project_copy / "rules/platform.py", 'for_=t("target_down_for")),\n        Alert(\n            "VVJobAbsent"',
          'for_="5 min"),\n        Alert(\n            "VVJobAbsent"')
    result, out = _lint(project_copy, *ONE_GENERATION)
    assert result.returncode == 1, out
    assert "VVTargetDown: for '5 min' is not a Prometheus duration such as 30s, 5m, 4h" in result.stdout


def test_route_to_a_missing_receiver_is_caught(project_copy):
    # In the inventory: a one-line error naming the key.
    inv = project_copy / "vvdash.yaml"
    original = inv.read_text()
    _edit(inv, "    critical: paging", "    critical: pager")
    result, out = _lint(project_copy, *ONE_GENERATION)
    assert result.returncode == 2, out
    assert "vvdash.yaml: alerting.routes.critical: expected one of the receivers (default, paging), got 'pager'" in out
    # In the routing cases: amtool resolves the real route and the case fails.
    inv.write_text(original)
    _edit(project_copy / "rules/tests/routes.yaml", "    receivers: [paging]", "    receivers: [oncall]")
    result, out = _lint(project_copy, *ONE_GENERATION)
    assert result.returncode == 1, out
    assert ("rules/tests/routes.yaml / critical pages: routes to paging, expected oncall" in result.stdout), out


def test_route_to_a_missing_receiver_in_a_config_is_caught_by_amtool(tmp_path):
    from vvdash.lint.tools import amtool_check_config

    config = tmp_path / "alertmanager.yml"
    config.write_text("route:\n  receiver: default\n  routes:\n    - matchers: ['severity=\"critical\"']\n"
                      "      receiver: paging\nreceivers:\n  - name: default\n")
    issues = amtool_check_config(config, "alertmanager.yml")
    assert issues, "amtool accepted a route to an undefined receiver"
    assert any('undefined receiver "paging"' in i.message for i in issues), issues


def test_broken_promtool_expectation_is_caught(project_copy, tmp_path):
    _edit(project_copy / "rules/tests/dvr.yml", "at site local takes 1.5s.", "at site local takes 2s.")
    junit = tmp_path / "lint.xml"
    result, out = _lint(project_copy, "--junit", str(junit))
    assert result.returncode == 1, out
    # Caught on both generations, each naming its version.
    for major in ("3", "2"):
        assert re.search(rf"^FAIL  promtool {major}\.\d+\.\d+ test rules: 1 finding$", result.stdout, re.M), out
        assert re.search(rf"rules/tests/dvr.yml: promtool test failed: name: DVR probe slow, alertname: "
                         rf"VVDvrProbeSlow, time: 10m: expected 1 alert, got 1 alert \(on promtool {major}\.", result.stdout)
        detail = _promtool_failure(junit, major)
        assert "alertname: VVDvrProbeSlow, time: 10m\nexp:[" in detail, detail
        assert "takes 1.5s" in detail and "takes 2s" in detail   # promtool's got/exp in the report


def test_every_failing_case_of_a_file_is_reported(project_copy):
    """Four broken expectations in three test groups of one file: four findings per generation."""
    tests = project_copy / "rules/tests/pipeline.yml"
    _edit(tests, "description: 2 videos were moved to corrupted/", "description: 3 videos were moved to corrupted/")
    _edit(tests, "description: 1 loglines failed HMAC signing", "description: 9 loglines failed HMAC signing")
    _edit(tests, "has 200m schema validation errors per minute.", "has 300m schema validation errors per minute.")
    # A promql_expr_test: promtool prints no name line for it, lint finds its test group.
    _edit(tests, "            value: 0.05\n", "            value: 0.07\n")
    result, out = _lint(project_copy)
    assert result.returncode == 1, out
    for major in ("3", "2"):
        found = re.findall(rf"rules/tests/pipeline.yml: promtool test failed: name: ([^,]+), (alertname|expr).*"
                           rf"\(on promtool {major}\.", result.stdout)
        assert sorted(found) == [("HMAC signing errors", "alertname"), ("corrupted files increasing", "alertname"),
                                 ("schema validation errors", "alertname"), ("schema validation errors", "expr")], out
        assert re.search(r'name: schema validation errors, expr: "stage:vv_schema_validation_errors:rate5m'
                         r'\{stage=\\"scan\\"\}", time: 10m \(on promtool ' + major, result.stdout), out


def test_alert_without_a_promtool_test_is_caught(project_copy):
    tests = project_copy / "rules/tests/scheduler.yml"
    text = tests.read_text()
    start = text.index("  # Near miss: last success 119 s ago, one second under the two periods.")
    end = text.index("  - name: playlist generation failures")
    tests.write_text(text[:start] + text[end:])
    result, out = _lint(project_copy, *ONE_GENERATION)
    assert result.returncode == 1, out
    assert ("rules/scheduler.py / vv_scheduler_alerts / VVSchedulerPlaylistsStale: no promtool near-miss test "
            "where it stays quiet" in result.stdout), out


# (inventory text, its mutation, test file, promtool test, alert, eval time, whether the alert now fires)
THRESHOLD_MUTATIONS = {
    # A higher limit: the 1.5 s probe no longer fires.
    "probe limit raised": ("probe_slow_seconds: 1\n", "probe_slow_seconds: 2\n", "dvr.yml",
                           "DVR probe slow", "VVDvrProbeSlow", "10m", False),
    # A lower limit: the 2.9 a minute near miss fires.
    "error limit lowered": ("connection_errors_per_minute: 3\n", "connection_errors_per_minute: 2.8\n", "dvr.yml",
                            "DVR connection errors just under the threshold stay quiet", "VVDvrConnectionErrors",
                            "15m", True),
    # A shorter `for`: the pending no-segments case fires a step early.
    "for shortened": ("connection_errors_per_minute: 3\n    for: 5m", "connection_errors_per_minute: 3\n    for: 4m",
                      "dvr.yml", "connected DVR without segments", "VVDvrNoSegments", "11m", True),
    # More periods allowed: playlists 121 s old are no longer stale.
    "stale periods raised": ("scheduler:\n    stale_periods: 2", "scheduler:\n    stale_periods: 3", "scheduler.yml",
                             "playlists stale", "VVSchedulerPlaylistsStale", "5m", False),
    # A lower backlog limit: the queue over 50 for only 9m has been over 49 for the whole `for`.
    "backlog limit lowered": ("queue_backlog: 50\n", "queue_backlog: 49\n", "pipeline.yml",
                              "input backlog over the limit too briefly or steady stays quiet",
                              "VVPipelineInputBacklogGrowing", "20m", True),
    # A longer stall window: the 15m stall no longer counts as stalled.
    "stall window lengthened": ("stalled_for: 15m\n", "stalled_for: 16m\n", "pipeline.yml",
                                "pipeline stalled", "VVPipelineStalled", "20m", False),
}


@pytest.mark.parametrize("case", THRESHOLD_MUTATIONS, ids=list(THRESHOLD_MUTATIONS))
def test_a_changed_threshold_breaks_its_promtool_test(project_copy, tmp_path, case):
    """The tests pin behaviour: move a threshold and promtool sees the alert fire or stay quiet
    wrongly, on both generations."""
    old, new, tests_file, test_name, alert, at, fires_now = THRESHOLD_MUTATIONS[case]
    _edit(project_copy / "vvdash.yaml", old, new)
    junit = tmp_path / "lint.xml"
    result, out = _lint(project_copy, "--junit", str(junit))
    assert result.returncode == 1, out
    for major in ("3", "2"):
        assert re.search(rf"rules/tests/{re.escape(tests_file)}: promtool test failed: name: {re.escape(test_name)}, "
                         rf".*\(on promtool {major}\.", result.stdout), out
        detail = _promtool_failure(junit, major)
        head = f"alertname: {alert}, time: {at}\n"
        labels = f'Labels:{{alertname="{alert}"'
        if fires_now:
            expected = f"{head}exp:[]\ngot:[\n0:\n{labels}"
            assert expected in detail, detail
        else:
            expected = f"{head}exp:[\n0:\n{labels}"
            assert expected in detail, detail
            block = detail[detail.index(expected):]
            assert block.split("\n]\n", 1)[1].startswith("got:[]"), detail


def test_promtool_lint_findings_are_fatal(project_copy):
    """A duplicated recording rule passes vvdash's own checks; promtool's linter catches it."""
    _edit(project_copy / "rules/storage.py",
          'return [Record(R.FOLDER_GROWTH, f"sum by (site, job, folder) (deriv(vv_storage_used_bytes{{{sel}}}[1h]))")]',
          'rec = Record(R.FOLDER_GROWTH, f"sum by (site, job, folder) (deriv(vv_storage_used_bytes{{{sel}}}[1h]))")\n'
          '    return [rec, rec]')
    result, out = _lint(project_copy, *ONE_GENERATION)
    assert result.returncode == 1, out
    lines = [line.strip() for line in result.stdout.splitlines()
             if line.strip().startswith("generated/prometheus/rules/storage.yml: lint error 1 duplicate rule")]
    assert lines, out
    assert "Metric: folder:vv_storage_used_bytes:deriv1h" in lines[0]

