"""Mutations of the shipped rules, config and tests: each one is caught by `vvdash lint`."""

from __future__ import annotations

import re

import pytest

from tests.helpers import run_vvdash


def _edit(path, old, new, count=1):
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, count))


def _lint(project, *args):
    result = run_vvdash(["lint", *args], project)
    return result, result.stdout + result.stderr


def test_alert_without_summary_is_caught(project_copy):
    _edit(project_copy / "rules/summarizer.py", '"critical", "The summarizer runs without a loaded model.",',
          '"critical", "",')
    result, out = _lint(project_copy)
    assert result.returncode == 1, out
    assert ("rules/summarizer.py / vv_summarizer_alerts / VVSummarizerModelNotLoaded: summary is missing"
            in result.stdout)
    # The build refuses it too, naming the rule.
    build = run_vvdash(["build", "--check"], project_copy)
    assert build.returncode == 2 and "VVSummarizerModelNotLoaded: summary is missing" in build.stderr


def test_unknown_metric_is_caught(project_copy):
    _edit(project_copy / "rules/dvr.py", "probe_duration_seconds{{{probe}}}", "probe_latency_seconds{{{probe}}}")
    result, out = _lint(project_copy)
    # A definition that breaks the contract cannot be built: lint stops with the rule named.
    assert result.returncode in (1, 2), out
    assert re.search(r"vv_dvr_alerts / VVDvrProbeSlow: unknown metric probe_latency_seconds", out), out


def test_bad_for_is_caught(project_copy):
    _edit(project_copy / "vvdash.yaml", "  dvr:\n    disconnected_for: 2m", "  dvr:\n    disconnected_for: 2 minutes")
    result, out = _lint(project_copy)
    assert result.returncode == 2, out
    assert "vvdash.yaml: thresholds.dvr.disconnected_for: expected a Prometheus duration" in out
    # The same mistake in a definition is caught by the style check.
    _edit(project_copy / "vvdash.yaml", "disconnected_for: 2 minutes", "disconnected_for: 2m")
    _edit(project_copy / "rules/platform.py", 'for_=t("target_down_for")),\n        Alert(\n            "VVJobAbsent"',
          'for_="5 min"),\n        Alert(\n            "VVJobAbsent"')
    result, out = _lint(project_copy)
    assert result.returncode == 1, out
    assert "VVTargetDown: for '5 min' is not a Prometheus duration such as 30s, 5m, 4h" in result.stdout


def test_route_to_a_missing_receiver_is_caught(project_copy):
    # In the inventory: a one-line error naming the key.
    inv = project_copy / "vvdash.yaml"
    original = inv.read_text()
    _edit(inv, "    critical: paging", "    critical: pager")
    result, out = _lint(project_copy)
    assert result.returncode == 2, out
    assert "vvdash.yaml: alerting.routes.critical: expected one of the receivers (default, paging), got 'pager'" in out
    # In the routing cases: amtool resolves the real route and the case fails.
    inv.write_text(original)
    _edit(project_copy / "rules/tests/routes.yaml", "    receivers: [paging]", "    receivers: [oncall]")
    result, out = _lint(project_copy)
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
    assert "FAIL  promtool test rules: 1 finding" in result.stdout
    assert "rules/tests/dvr.yml: promtool test failed" in result.stdout
    detail = junit.read_text()
    assert "takes 1.5s" in detail and "takes 2s" in detail   # promtool's got/exp in the report


def test_alert_without_a_promtool_test_is_caught(project_copy):
    tests = project_copy / "rules/tests/scheduler.yml"
    text = tests.read_text()
    start = text.index("  # Near miss: last success exactly two periods ago.")
    end = text.index("  - name: playlist generation failures")
    tests.write_text(text[:start] + text[end:])
    result, out = _lint(project_copy)
    assert result.returncode == 1, out
    assert ("rules/scheduler.py / vv_scheduler_alerts / VVSchedulerPlaylistsStale: no promtool near-miss test "
            "where it stays quiet" in result.stdout), out


@pytest.mark.parametrize("name, expr", [("VVPipelineStalled", "== 0"), ("VVDvrProbeSlow", "> 1")])
def test_a_changed_threshold_breaks_its_promtool_test(project_copy, name, expr):
    """The tests pin behaviour: loosen an alert and its firing case fails."""
    if name == "VVPipelineStalled":
        _edit(project_copy / "vvdash.yaml", "stalled_for: 15m", "stalled_for: 5m")
    else:
        _edit(project_copy / "vvdash.yaml", "probe_slow_seconds: 1", "probe_slow_seconds: 2")
    result, out = _lint(project_copy)
    assert result.returncode == 1, out
    assert "promtool test failed" in result.stdout


def test_promtool_lint_findings_are_fatal(project_copy):
    """A duplicated recording rule passes vvdash's own checks; promtool's linter catches it."""
    _edit(project_copy / "rules/storage.py",
          'return [Record(R.FOLDER_GROWTH, f"sum by (site, job, folder) (deriv(vv_storage_used_bytes{{{sel}}}[1h]))")]',
          'rec = Record(R.FOLDER_GROWTH, f"sum by (site, job, folder) (deriv(vv_storage_used_bytes{{{sel}}}[1h]))")\n'
          '    return [rec, rec]')
    result, out = _lint(project_copy)
    assert result.returncode == 1, out
    lines = [line.strip() for line in result.stdout.splitlines()
             if line.strip().startswith("generated/prometheus/rules/storage.yml: lint error 1 duplicate rule")]
    assert lines, out
    assert "Metric: folder:vv_storage_used_bytes:deriv1h" in lines[0]
