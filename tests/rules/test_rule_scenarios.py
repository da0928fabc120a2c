"""Rule tests rendered from the scenarios in rules/tests/*.py for the inventory in use.

A user's changed thresholds keep `vvdash lint` clean and are what the tests test; mutations of
the rules are caught by promtool on both Prometheus generations; failures name the alert, the
scenario and the inventory keys with their values."""

from __future__ import annotations

import ast

import re
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import yaml

from tests.helpers import run_vvdash
from vvdash.project import load_project
from vvdash.scenarios import gotemplate
from vvdash.scenarios.model import make_clock
from vvdash.scenarios.render import _windows, rule_test_files
from vvdash.slo import TICKET_BURNS

ROOT = Path(__file__).resolve().parents[2]
PROMTOOL_3 = ROOT / ".tools" / "debian-unstable" / "usr" / "bin" / "promtool"


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1))


def _promtool_3() -> Path:
    if not PROMTOOL_3.exists():
        pytest.skip(f"Prometheus 3 promtool not fetched ({PROMTOOL_3}; `make tools`)")
    return PROMTOOL_3


def _test_with(promtool, folder: Path) -> subprocess.CompletedProcess:
    files = sorted(str(p) for p in (folder / "prometheus" / "tests").glob("*.yml"))
    return subprocess.run([str(promtool), "test", "rules", *files], capture_output=True, text=True, timeout=300)


def test_a_tuned_inventory_stays_clean_and_is_what_the_tests_test(project_copy, tmp_path):
    """The issue's case: queue_backlog 50 -> 80, probe_slow_seconds and disconnected_for changed."""
    inv = project_copy / "vvdash.yaml"
    _edit(inv, "queue_backlog: 50", "queue_backlog: 80")
    _edit(inv, "probe_slow_seconds: 1\n", "probe_slow_seconds: 2.5\n")
    _edit(inv, "disconnected_for: 2m", "disconnected_for: 3m")
    result = run_vvdash(["lint"], project_copy)
    assert result.returncode == 0, result.stdout + result.stderr
    build = run_vvdash(["build"], project_copy)
    assert build.returncode == 0, build.stderr
    # The edges on the inventory's clock (pipeline.yml), the steady near misses on their own (pipeline_steady.yml).
    names = " || ".join(t["name"] for f in ("pipeline.yml", "pipeline_steady.yml")
                        for t in yaml.safe_load((project_copy / "generated/prometheus/tests" / f).read_text())["tests"])
    assert "thresholds.pipeline.queue_backlog=80" in names and "queue_backlog=50" not in names
    # The firing case is just over the new limit and the near miss at it.
    assert "VVPipelineInputBacklogGrowing | fires: 81 queued" in names
    assert "up to 80, not over" in names
    dvr = (project_copy / "generated/prometheus/tests/dvr.yml").read_text()
    assert "takes 2.55s." in dvr and "for more than 3m." in dvr
    assert _test_with(_promtool_3(), project_copy / "generated").returncode == 0


def test_shipped_scenarios_pass_on_prometheus_3():
    result = _test_with(_promtool_3(), ROOT / "generated")
    assert result.returncode == 0, result.stdout + result.stderr


# (file, text, its mutation, alert that must fail)
MUTATIONS = {
    "inverted comparison": ("rules/dvr.py", 'f"probe_duration_seconds{{{probe}}} > {number(',
                            'f"probe_duration_seconds{{{probe}}} < {number(', "VVDvrProbeSlow"),
    "dropped for": ("rules/platform.py", 'for_=t("target_down_for"), dashboard=dash,\n              expr="up == 0"',
                    'for_="0s", dashboard=dash,\n              expr="up == 0"', "VVTargetDown"),
    "threshold from the wrong key": ("rules/pipeline.py", "> {t('queue_backlog')}", "> {t('corrupted_files_critical')}",
                                     "VVPipelineInputBacklogGrowing"),
    "label dropped by an aggregation an annotation uses": (
        "shared/exprs.py", 'by: str = "site, job, dvr"', 'by: str = "site, job"', "VVDvrConnectionErrors"),
}


def test_broken_rules_are_caught_by_their_scenarios(project_copy, tmp_path):
    """All four mutations at once (each breaks a different alert): every one is caught, by name."""
    for path, old, new, _ in MUTATIONS.values():
        _edit(project_copy / path, old, new)
    junit = tmp_path / "lint.xml"
    result = run_vvdash(["lint", "--junit", str(junit)], project_copy)
    assert result.returncode == 1, result.stdout + result.stderr
    failed = [ln.strip() for ln in result.stdout.splitlines() if "promtool test failed" in ln]
    for case, (_, _, _, alert) in MUTATIONS.items():
        assert any(f": promtool test failed: {alert} | " in ln and f"alertname: {alert}, time: " in ln
                   for ln in failed), (case, failed)
    # One JUnit case per generation's step (`promtool 3.5.3 test rules`), each with promtool's exp/got.
    steps = [c for c in ET.parse(junit).getroot().iter("testcase")
             if c.get("name").startswith("promtool ") and c.get("name").endswith(" test rules")]
    assert len(steps) == 2, [c.get("name") for c in steps]
    for case_xml in steps:
        assert "exp:" in case_xml.find("failure").text and "got:" in case_xml.find("failure").text
    # Prometheus 3 catches each too.
    build = run_vvdash(["build"], project_copy)
    assert build.returncode == 0, build.stderr
    on_3 = _test_with(_promtool_3(), project_copy / "generated")
    assert on_3.returncode == 1
    for case, (_, _, _, alert) in MUTATIONS.items():
        assert f"alertname: {alert}," in on_3.stdout + on_3.stderr, case


def test_a_failure_names_alert_scenario_keys_and_values(project_copy, tmp_path):
    # A scenario expecting the wrong value: promtool renders the real one, the report shows both.
    _edit(project_copy / "rules/tests/pipeline.py", "fires(edge, alert, value(rising, edge))",
          "fires(edge, alert, Firing(firing_labels, 1234))")
    result = run_vvdash(["lint"], project_copy)
    assert result.returncode == 1, result.stdout + result.stderr
    line = next(ln.strip() for ln in result.stdout.splitlines() if "promtool test failed" in ln)
    assert re.match(r"rules/tests/pipeline\.py: promtool test failed: VVPipelineInputBacklogGrowing \| fires: "
                    r"51 queued and one more each sample \| site local \| thresholds\.pipeline\.queue_backlog=50, "
                    r"thresholds\.pipeline\.for=10m: alertname: VVPipelineInputBacklogGrowing, time: \S+: "
                    r"expected 1 firing, got 1 with other labels or annotations \(on promtool 3\.", line), line


def test_every_site_gets_its_own_scenarios(tmp_path):
    text = (ROOT / "vvdash.yaml").read_text()
    second = ("  - name: north\n    video_storage_root: var/north\n    storage_mountpoint: /srv/video\n"
              "    hosts:\n      - name: north-host\n        address: 10.0.0.2\n"
              "    dvrs:\n      - name: gate\n        address: 10.0.0.3\n        port: 554\n"
              "    tvs:\n      - id: lobby\n\nservices:")
    inv = tmp_path / "vvdash.yaml"
    inv.write_text(text.replace("\nservices:", "\n" + second, 1))
    files = rule_test_files(load_project(inv))
    dvr = yaml.safe_load(files["prometheus/tests/dvr.yml"])
    names = " ".join(t["name"] for t in dvr["tests"])
    assert "| site local |" in names and "| site north |" in names
    storage = files["prometheus/tests/storage.yml"].decode()
    assert 'mountpoint="/srv/video"' in storage and 'instance="10.0.0.2:9100"' in storage
    assert 'dvr="gate"' in files["prometheus/tests/dvr.yml"].decode()


def test_rendering_is_deterministic():
    project = load_project()
    assert rule_test_files(project) == rule_test_files(load_project())


def test_no_sample_sits_on_a_window_edge():
    """Prometheus 2 counts a sample at the window start, 3 does not: the clock never puts one there."""
    project = load_project()
    for rule_file in project.rule_files:
        windows = _windows([rule_file])
        for evaluation, scrape in ((15, 15), (60, 30), (30, 60), (3600, 15)):
            clock = make_clock(evaluation, scrape, windows)
            samples = clock.samples(3 * 86400 if evaluation == 3600 else 4 * 3600)
            assert len(samples) < 20000
            grid = round(clock.grid * 1000)
            assert all(round(s * 1000) % grid == grid // 2 for s in samples[:500])
            for w in windows:
                assert round(w * 1000) % grid == 0 and round(evaluation * 1000) % grid == 0, (rule_file.module, w)


VALUES = [0, 1, 51, 0.5, 3.0999999999999996, 1e6, 123456.7, 1.2345e-05, 1500000000, -2.5, 86400 * 3 + 61]


def test_annotation_formats_match_prometheus(tmp_path):
    """The Go template functions scenarios render, against promtool's own rendering."""
    rules = {"groups": [{"name": "g", "rules": [{"alert": "A", "expr": "m", "annotations": {
        "d": "{{ $value }}|{{ $value | humanize }}|{{ $value | humanize1024 }}|{{ $value | humanizeDuration }}"
             "|{{ $value | humanizePercentage }}|{{ $labels.x }}|{{ $labels.missing }}"}}]}]}
    (tmp_path / "r.yml").write_text(yaml.safe_dump(rules))
    tests = {"rule_files": ["r.yml"], "evaluation_interval": "1m", "tests": [{
        "interval": "1m", "input_series": [{"series": f'm{{x="{i}"}}', "values": repr(float(v))}
                                           for i, v in enumerate(VALUES)],
        "alert_rule_test": [{"eval_time": "0s", "alertname": "A", "exp_alerts": [
            {"exp_labels": {"x": str(i)}, "exp_annotations": {"d": gotemplate.render(
                rules["groups"][0]["rules"][0]["annotations"]["d"], {"x": str(i)}, float(v), "test")}}
            for i, v in enumerate(VALUES)]}]}]}
    (tmp_path / "t.yml").write_text(yaml.safe_dump(tests))
    for promtool in ("promtool", _promtool_3()):
        result = subprocess.run([str(promtool), "test", "rules", str(tmp_path / "t.yml")], capture_output=True,
                                text=True, timeout=60)
        assert result.returncode == 0, result.stdout + result.stderr


def test_periods_of_a_fraction_of_a_second_render_valid_windows(tmp_path):
    """period_seconds may be a float: 60.25 s x 2 stale periods is the window [120s500ms] (whole
    milliseconds, valid PromQL), and the rules and their scenarios pass on both generations."""
    inv = yaml.safe_load((ROOT / "vvdash.yaml").read_text())
    inv["pipeline"]["tv_scheduler"]["period_seconds"] = 60.25
    inv["pipeline"]["cleanup"]["period_seconds"] = 3600.125
    path = tmp_path / "vvdash.yaml"
    path.write_text(yaml.safe_dump(inv, sort_keys=False))
    build = run_vvdash(["--inventory", str(path), "build", "--out", str(tmp_path / "generated")], ROOT)
    assert build.returncode == 0, build.stderr
    rules = tmp_path / "generated" / "prometheus" / "rules"
    periods = inv["thresholds"]["scheduler"]["stale_periods"]
    assert periods == 2 and "[120s500ms]" in (rules / "scheduler.yml").read_text()
    assert inv["thresholds"]["maintenance"]["stale_periods"] == 2 and "[7200s250ms]" in (rules / "maintenance.yml").read_text()
    tests = tmp_path / "generated" / "prometheus" / "tests"
    files = [str(p) for p in sorted(tests.glob("scheduler*.yml")) + sorted(tests.glob("maintenance*.yml"))]
    for promtool in ("promtool", _promtool_3()):
        checked = subprocess.run([str(promtool), "check", "rules", "--lint=all", "--lint-fatal",
                                  str(rules / "scheduler.yml"), str(rules / "maintenance.yml")],
                                 capture_output=True, text=True, timeout=120)
        assert checked.returncode == 0, checked.stdout + checked.stderr
        tested = subprocess.run([str(promtool), "test", "rules", *files], capture_output=True, text=True, timeout=300)
        assert tested.returncode == 0, tested.stdout + tested.stderr


# The slow ticket pair (1d/2h) changed in one window only, in the rule and not in the scenarios
# (they read vvdash.slo.TICKET_BURNS): each is caught by a scenario of that pair alone.
TICKET_MUTATIONS = {
    "long window 1d -> 3d": ('("1d", "2h", 3)', '("3d", "2h", 3)', "fires: ticket pair 1d/2h alone"),
    "long window 1d -> 6h": ('("1d", "2h", 3)', '("6h", "2h", 3)', "fires: ticket pair 1d/2h alone"),
    "short window 2h -> 6h": ('("1d", "2h", 3)', '("1d", "6h", 3)', "fires: ticket pair 1d/2h alone"),
    "short window 2h -> 1d": ('("1d", "2h", 3)', '("1d", "1d", 3)', "near miss: ticket pair 1d/2h alone: 1d over"),
}


def test_each_window_of_the_slow_ticket_pair_is_caught(project_copy):
    rules = project_copy / "rules" / "pipeline.py"
    shipped = rules.read_text()
    alert = "_burn(TICKET_BURNS, budget)"
    assert shipped.count(alert) == 1
    for case, (pair, mutated, scenario) in TICKET_MUTATIONS.items():
        rules.write_text(shipped.replace(alert, f"_burn(({mutated},) + TICKET_BURNS[1:], budget)"))
        assert ast.literal_eval(pair) == TICKET_BURNS[0]      # the mutation starts from the shipped pair
        build = run_vvdash(["build"], project_copy)
        assert build.returncode == 0, (case, build.stderr)
        daily = project_copy / "generated" / "prometheus" / "tests" / "pipeline_daily.yml"
        for promtool in ("promtool", _promtool_3()):
            result = subprocess.run([str(promtool), "test", "rules", str(daily)], capture_output=True, text=True,
                                    timeout=300)
            out = result.stdout + result.stderr
            assert result.returncode == 1, (case, promtool, out)
            failed = [ln for ln in out.splitlines() if ln.strip().startswith("name: ")]
            assert failed and all(scenario in ln for ln in failed), (case, promtool, failed)
            assert "alertname: VVPipelineErrorBudgetBurn" in out, (case, out)
