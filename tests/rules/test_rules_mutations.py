"""Mutations of the shipped rules, config and tests: each one is caught by `vvdash lint`."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

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
    _edit(project_copy / "rules/texts/summarizer.yaml", "summary: The summarizer runs without a loaded model.",
          "summary: ''")
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
    _edit(project_copy / "rules/platform.py", 'for_=t("target_down_for"), dashboard=dash,\n              expr="up == 0"',
          'for_="5 min", dashboard=dash,\n              expr="up == 0"')
    result, out = _lint(project_copy, *ONE_GENERATION)
    assert result.returncode == 2, out
    assert "rules/platform.py: VVTargetDown: for '5 min' is not a Prometheus duration such as 30s, 5m, 4h" in out


def test_route_to_a_missing_receiver_is_caught(project_copy):
    # In the inventory: a one-line error naming the key.
    inv = project_copy / "vvdash.yaml"
    original = inv.read_text()
    _edit(inv, "    critical: paging", "    critical: pager")
    result, out = _lint(project_copy, *ONE_GENERATION)
    assert result.returncode == 2, out
    assert "vvdash.yaml: alerting.routes.critical: expected one of the receivers (default, heartbeat, paging), got 'pager'" in out
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
    # A scenario expecting the wrong value: promtool renders the real one, the report shows both.
    _edit(project_copy / "rules/tests/dvr.py", "fires(edge, alert, Firing(probe, over))",
          "fires(edge, alert, Firing(probe, 2 * over))")
    junit = tmp_path / "lint.xml"
    result, out = _lint(project_copy, "--junit", str(junit))
    assert result.returncode == 1, out
    # Caught on both generations, each step and finding naming its version.
    for major in ("3", "2"):
        assert re.search(rf"^FAIL  promtool {major}\.\d+\.\d+ test rules: 1 finding$", result.stdout, re.M), out
        line = next(ln.strip() for ln in result.stdout.splitlines()
                    if "promtool test failed" in ln and f"(on promtool {major}." in ln)
        # The alert, the scenario, the inventory keys with their values, the time and the verdict.
        assert line.startswith("rules/tests/dvr.py: promtool test failed: VVDvrProbeSlow | for edge: "), line
        assert "thresholds.dvr.probe_slow_seconds=1, thresholds.dvr.for=5m" in line, line
        assert ("alertname: VVDvrProbeSlow, time: 5m45s: expected 1 firing, got 1 with other labels or annotations"
                in line), line
        detail = _promtool_failure(junit, major)
        assert "takes 1.02s" in detail and "takes 2.04s" in detail   # promtool's got/exp in the report


def test_alert_without_a_near_miss_is_caught(project_copy):
    # The growth alert keeps its firing scenario (whose "still pending" check is no near miss).
    _edit(project_copy / "rules/tests/storage.py",
          'for kind, per_hour in (("fires", just_over(limit)), ("near miss", just_under(limit))):',
          'for kind, per_hour in (("fires", just_over(limit)),):')
    result, out = _lint(project_copy)
    assert result.returncode == 1, out
    assert ("rules/storage.py / vv_storage_alerts / VVStorageFolderGrowing: no promtool near-miss test "
            "where it stays quiet" in result.stdout), out


def test_promtool_lint_findings_are_fatal(project_copy):
    """A duplicated recording rule passes vvdash's own checks; promtool's linter catches it."""
    _edit(project_copy / "rules/storage.py",
          'return [Record(record=R.FOLDER_GROWTH,\n',
          'return [Record(record=R.FOLDER_GROWTH,\n'
          '                   expr=f"sum by (site, job, folder) (deriv(vv_storage_used_bytes{{{sel}}}[{GROWTH_WINDOW}]))"),\n'
          '            Record(record=R.FOLDER_GROWTH,\n')
    result, out = _lint(project_copy, *ONE_GENERATION)
    assert result.returncode == 1, out
    lines = [line.strip() for line in result.stdout.splitlines()
             if line.strip().startswith("generated/prometheus/rules/storage.yml: lint error 1 duplicate rule")]
    assert lines, out
    assert "Metric: folder:vv_storage_used_bytes:deriv1h" in lines[0]

