"""The build: deterministic, atomic, `--check` names stale files, bad input changes nothing."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from tests.helpers import run_vvdash, tree_digest

BLUEPRINT_NAMES = Path(__file__).with_name("blueprint_metric_names.txt")
ROOT = Path(__file__).resolve().parents[2]


def test_build_twice_is_byte_identical_and_second_writes_nothing(project_copy, tmp_path):
    out = tmp_path / "out"
    first = run_vvdash(["build", "--out", str(out)], project_copy)
    assert first.returncode == 0, first.stderr
    digest = tree_digest(out)
    assert "METRICS.md" in digest
    second = run_vvdash(["build", "--out", str(out)], project_copy)
    assert second.returncode == 0, second.stderr
    assert "0 written, 0 removed" in second.stdout
    assert tree_digest(out) == digest
    check = run_vvdash(["build", "--check", "--out", str(out)], project_copy)
    assert check.returncode == 0 and "up to date" in check.stdout


def test_check_after_definition_edit_exits_1_and_names_the_file(project_copy, tmp_path):
    out = tmp_path / "out"
    assert run_vvdash(["build", "--out", str(out)], project_copy).returncode == 0
    catalog = project_copy / "vvdash/catalog/pipeline_core.py"
    catalog.write_text(catalog.read_text().replace("Videos waiting in input/ for processing.",
                                                   "Videos queued in input/."))
    (out / "stray.txt").write_text("not ours")
    result = run_vvdash(["build", "--check", "--out", str(out)], project_copy)
    assert result.returncode == 1
    assert f"stale: {out / 'METRICS.md'}" in result.stderr
    assert f"extra: {out / 'stray.txt'}" in result.stderr
    assert (out / "stray.txt").exists(), "--check must write nothing"


def test_refuses_to_write_into_a_foreign_folder(project_copy, tmp_path):
    foreign = tmp_path / "home"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("keep me")
    result = run_vvdash(["build", "--out", str(foreign)], project_copy)
    assert result.returncode == 2
    assert (foreign / "notes.txt").read_text() == "keep me"


BROKEN_RULE = """
from vvdash.model.rules import Group, Record


def groups(inv):
    return [Group(name="zz-broken", rules=(Record(record="job:vv_broken:rate5m", expr={expr!r}),))]
"""


@pytest.mark.parametrize("expr, message", [
    ("sum(rate(vv_no_such_metric_total[5m]))", "unknown metric vv_no_such_metric_total"),
    ("sum by (camera) (rate(vv_videos_processed_total[5m]))",
     "sum by label 'camera' is not on vv_videos_processed_total"),
    ("sum(rate(vv_videos_in_input_queue[5m]))", "rate() over vv_videos_in_input_queue, which is a gauge"),
    ('sum(rate(vv_videos_processed_total{stage="scan"}[5m]))', "label 'stage' is not on vv_videos_processed_total"),
])
def test_contract_violation_fails_the_build_naming_the_rule(project_copy, expr, message):
    (project_copy / "rules/zz_broken.py").write_text(textwrap.dedent(BROKEN_RULE.format(expr=expr)))
    before = tree_digest(project_copy / "generated")
    result = run_vvdash(["build"], project_copy)
    assert result.returncode == 2, result.stdout + result.stderr
    lines = [line for line in result.stderr.splitlines() if message in line]
    assert lines, result.stderr
    assert lines[0].startswith("vvdash: error: rules zz-broken / job:vv_broken:rate5m: ")
    assert tree_digest(project_copy / "generated") == before


def test_broken_inventory_fails_with_one_line_and_touches_nothing(project_copy):
    inv = project_copy / "vvdash.yaml"
    inv.write_text(inv.read_text().replace("port: 8554", "port: abc", 1))
    before = tree_digest(project_copy / "generated")
    result = run_vvdash(["build"], project_copy)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "vvdash: error: vvdash.yaml: sites[0].dvrs[0].port: expected an integer 1-65535, got 'abc'"]
    assert tree_digest(project_copy / "generated") == before


def test_broken_definition_module_is_named(project_copy):
    (project_copy / "rules/zz_syntax.py").write_text("def groups(inv):\n    return [\n")
    result = run_vvdash(["build"], project_copy)
    assert result.returncode == 2
    assert "rules/zz_syntax.py: cannot import: SyntaxError" in result.stderr


def test_every_blueprint_vv_metric_is_in_the_catalog_json():
    lines = BLUEPRINT_NAMES.read_text().splitlines()
    blueprint_names = {line.strip() for line in lines if line.strip() and not line.startswith("#")}
    assert len(blueprint_names) >= 30
    result = run_vvdash(["catalog", "--format", "json"], ROOT)
    assert result.returncode == 0
    records = json.loads(result.stdout)
    known = {r["name"] for r in records} | {r["seed_name"] for r in records if r["seed_name"]}
    assert sorted(blueprint_names - known) == []
    for record in records:
        assert {"name", "type", "help", "labels", "unit", "component", "seed_name"} <= set(record)
