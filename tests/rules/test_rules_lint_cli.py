"""`vvdash lint` as a whole: clean on the shipped definitions, its output formats and exit codes."""

from __future__ import annotations

import os
import re
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

from tests.helpers import run_vvdash

ROOT = Path(__file__).resolve().parents[2]
STEPS = ["contract", "alert-style", "rule-test-coverage", "dashboard-lint", "promtool check config",
         "promtool check rules", "promtool test rules", "amtool check-config", "amtool routes test", "inhibitions"]


def test_lint_is_clean_on_the_shipped_definitions(tmp_path):
    junit = tmp_path / "lint.xml"
    result = run_vvdash(["lint", "--junit", str(junit)], ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip().splitlines()[-1].startswith("vvdash lint: clean")
    suite = ET.parse(junit).getroot()
    names = [case.get("name") for case in suite.iter("testcase")]
    assert names == STEPS
    assert suite.get("failures") == "0"
    ran = [c.get("name") for c in suite.iter("testcase") if c.find("skipped") is None]
    assert {"promtool check rules", "promtool test rules", "amtool check-config", "amtool routes test"} <= set(ran)


def test_lint_lints_the_definitions_not_a_stale_generated_folder(project_copy):
    # generated/ may be stale or missing: lint renders its own copy.
    import shutil

    shutil.rmtree(project_copy / "generated", ignore_errors=True)
    result = run_vvdash(["lint"], project_copy)
    assert result.returncode == 0, result.stdout + result.stderr
    assert not (project_copy / "generated").exists()


def test_github_format_annotates_the_file_of_each_finding(project_copy, tmp_path):
    rules = project_copy / "rules/dvr.py"
    rules.write_text(rules.read_text().replace('"The DVR answers its probe slowly."', '"the DVR answers slowly"'))
    junit = tmp_path / "out/lint.xml"
    result = run_vvdash(["lint", "--format", "github", "--junit", str(junit)], project_copy)
    assert result.returncode == 1, result.stdout + result.stderr
    errors = [line for line in result.stdout.splitlines() if line.startswith("::error ")]
    assert errors, result.stdout
    assert all(re.match(r"::error (file=[^,]+,)?title=vvdash lint [^:]+::", e) for e in errors)
    style = [e for e in errors if "title=vvdash lint alert-style" in e]
    assert any(e.startswith("::error file=rules/dvr.py,") and "VVDvrProbeSlow" in e
               and "summary must start with a capital letter" in e for e in style), style
    assert any("summary must end with a period" in e for e in style)
    failed = [c.get("name") for c in ET.parse(junit).getroot().iter("testcase") if c.find("failure") is not None]
    assert "alert-style" in failed


def test_missing_binary_exits_2_naming_the_debian_package(project_copy, tmp_path):
    empty = tmp_path / "bin"
    empty.mkdir()
    env = {**os.environ, "PYTHONPATH": str(project_copy), "PATH": str(empty)}
    import subprocess

    result = subprocess.run([sys.executable, "-m", "vvdash", "lint"], cwd=project_copy, env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stderr.strip().splitlines() == [
        "vvdash: error: promtool: binary not found; install the Debian package prometheus "
        "(apt-get install prometheus)"]


def test_lint_dashboards_runs_only_the_dashboard_linter():
    result = run_vvdash(["lint", "dashboards"], ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    steps = [line.split()[1] for line in result.stdout.splitlines() if line.startswith(("ok ", "skip ", "FAIL "))]
    assert steps == ["dashboard-lint"]
