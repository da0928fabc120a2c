"""Runbook sections match the alerts' links; every alert and recording rule has its promtool test."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from tests.helpers import alert_rules
from vvdash.build import render
from vvdash.check import rule_tests
from vvdash.project import load_project
from vvdash.scenarios.render import rule_test_files

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def project():
    return load_project()


@pytest.fixture(scope="module")
def files(project):
    return render(project)


def github_anchor(heading: str) -> str:
    """How GitHub turns a heading into an anchor: lowercase, drop punctuation, spaces to dashes."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def test_every_alert_links_to_its_own_runbook_section(project, files):
    runbook = files["RUNBOOK.md"].decode()
    anchors = {github_anchor(h) for h in re.findall(r"^## (.+)$", runbook, re.M)}
    alerts: dict[str, set] = {}
    for rule in alert_rules(files):
        alerts.setdefault(rule["alert"], set()).add(rule["annotations"]["runbook_url"])
    assert len(alerts) >= 30
    # vvdash.yaml sets no links: the default is the first site's first host, by name.
    assert "links" not in project.inventory
    runbook_base = "http://vv-host:9096/RUNBOOK.md"
    for name, urls in alerts.items():
        assert len(urls) == 1, name
        url = urls.pop()
        base, _, anchor = url.partition("#")
        assert base == runbook_base
        assert anchor in anchors, f"{name}: {url} has no section in RUNBOOK.md"
    assert len(anchors) == len(alerts), "one section per alert"


def test_runbook_sections_say_what_to_check_and_which_dashboard(project, files):
    runbook = files["RUNBOOK.md"].decode()
    section = runbook[runbook.index("## VVDvrDisconnected"):]
    section = section[:section.index("\n## ", 3)]
    assert "**Likely causes**" in section and "**What to check**" in section
    title = project.dashboard("vv-tv-dvr").title
    assert f"**Dashboard**: [{title}](http://vv-host:3000/d/vv-tv-dvr)" in section
    assert "- **critical**, for 2m: `dvr` / `vv_dvr_alerts`" in section


def test_every_alert_and_recording_rule_has_a_promtool_test(project):
    assert rule_tests.check_project(project, rule_tests.tests_dir(), rule_test_files(project)) == []


def test_coverage_check_names_what_is_missing(project, tmp_path):
    (tmp_path / "only.yml").write_text(yaml.safe_dump({
        "rule_files": ["x.yml"],
        "tests": [{"input_series": [], "alert_rule_test": [
            {"eval_time": "1m", "alertname": "VVTargetDown", "exp_alerts": [
                {"exp_labels": {"severity": "critical"}}]}]}],
    }))
    findings = [str(f) for f in rule_tests.check_project(project, tmp_path, rendered={})]
    assert "rules/tests/only.yml / tests[0]: interval is not set explicitly" in findings
    assert not any("VVTargetDown: no promtool test where it fires" in f for f in findings)
    assert any("VVTargetDown: no promtool near-miss test" in f for f in findings)
    assert any("VVDvrDisconnected: no promtool test where it fires with severity critical" in f for f in findings)
    assert any("VVStorageFillingUp: no promtool test where it fires with severity warning" in f for f in findings)
    assert any("stage:vv_pipeline_items:rate5m: no promql_expr_test uses this recording rule" in f
               for f in findings)


def test_each_test_file_names_a_generated_rule_file(files):
    generated = {p.split("/")[-1] for p in files if p.startswith("prometheus/rules/")}
    rendered = [p for p in files if p.startswith("prometheus/tests/")]
    assert len(rendered) >= 7
    for path in rendered:
        data = yaml.safe_load(files[path])
        assert data["tests"], path
        for rule_file in data["rule_files"]:
            assert rule_file.startswith("../rules/"), path
            assert rule_file.split("/")[-1] in generated, path
    for path in sorted((ROOT / "rules/tests").glob("*.yml")):      # hand-written ones
        data = yaml.safe_load(path.read_text())
        for rule_file in data["rule_files"]:
            assert rule_file.startswith("../../generated/prometheus/rules/"), path.name
            assert rule_file.split("/")[-1] in generated, path.name


def test_storage_alert_uses_the_dashboards_expression(project):
    from shared.exprs import storage_filling_up

    inv = project.inventory
    exprs = {(a.alert, a.severity): a.expr for _, _, a in project.alerts()}
    for severity, horizon, floor in (("warning", "fill_warning_horizon", "fill_warning_free_ratio"),
                                     ("critical", "fill_critical_horizon", "fill_free_floor_ratio")):
        assert exprs[("VVStorageFillingUp", severity)] == storage_filling_up(
            inv, inv.thresholds("storage")(horizon), floor)
    assert "< 0.4\n" in exprs[("VVStorageFillingUp", "warning")]
    assert "< 0.15\n" in exprs[("VVStorageFillingUp", "critical")]
