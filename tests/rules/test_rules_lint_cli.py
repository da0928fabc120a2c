"""`vvdash lint` as a whole: clean on the shipped definitions, its output formats and exit codes."""

from __future__ import annotations

import os
import re
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

from tests.helpers import run_vvdash

ROOT = Path(__file__).resolve().parents[2]
OWN_STEPS = ["contract", "alert-style", "rule-test-coverage", "dashboard-lint"]
TOOL_STEPS = ["promtool {p} check config", "promtool {p} check rules", "promtool {p} test rules",
              "amtool {a} check-config", "amtool {a} routes test", "alertmanager {m} inhibitions"]


def tool_steps(*generations: int) -> list[str]:
    """The tool steps of these generations, in lint's order, named with the versions installed."""
    from vvdash.generations import GENERATIONS

    steps = []
    for n in generations:
        gen = GENERATIONS[n]
        steps += [s.format(p=gen.version("promtool"), a=gen.version("amtool"),
                           m=gen.version("prometheus-alertmanager")) for s in TOOL_STEPS]
    return steps


STEPS = OWN_STEPS + tool_steps(3, 2)


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
    assert set(tool_steps(3, 2)) <= set(ran)
    # Both generations ran: Debian unstable's 3.x from .tools and Debian stable's 2.x.
    assert any(s.startswith("promtool 3.") for s in ran) and any(s.startswith("promtool 2.") for s in ran)


def test_lint_lints_the_definitions_not_a_stale_generated_folder(project_copy):
    # generated/ may be stale or missing: lint renders its own copy.
    import shutil

    shutil.rmtree(project_copy / "generated", ignore_errors=True)
    result = run_vvdash(["lint", "--prometheus", "3"], project_copy)
    assert result.returncode == 0, result.stdout + result.stderr
    assert not (project_copy / "generated").exists()


def test_github_format_annotates_the_file_of_each_finding(project_copy, tmp_path):
    texts = project_copy / "rules/texts/dvr.yaml"
    texts.write_text(texts.read_text().replace("summary: The DVR answers its probe slowly.", "summary: the DVR answers slowly"))
    junit = tmp_path / "out/lint.xml"
    result = run_vvdash(["lint", "--format", "github", "--junit", str(junit), "--prometheus", "3"], project_copy)
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


def _lint_with_path(project, path_dir, *args):
    import subprocess

    env = {**os.environ, "PYTHONPATH": str(project), "PATH": str(path_dir)}
    return subprocess.run([sys.executable, "-m", "vvdash", "lint", *args], cwd=project, env=env,
                          capture_output=True, text=True, timeout=120)


def test_missing_binary_exits_2_naming_the_debian_package(project_copy, tmp_path):
    empty = tmp_path / "bin"
    empty.mkdir()
    (project_copy / ".tools").unlink(missing_ok=True)     # neither generation
    result = _lint_with_path(project_copy, empty)
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stderr.strip().splitlines() == [
        "vvdash: error: promtool: binary not found; install the Debian package prometheus "
        "(apt-get install prometheus)"]
    # Asked for generation 3 without the fetched tools: one line saying how to fetch them.
    result = _lint_with_path(project_copy, empty, "--prometheus", "3")
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stderr.strip().splitlines() == [
        "vvdash: error: promtool (generation 3): not in .tools/debian-unstable/usr/bin; run `make tools` "
        "to fetch Debian unstable's promtool"]


def test_a_missing_generation_is_a_skipped_step_and_the_other_still_runs(project_copy, tmp_path):
    empty = tmp_path / "bin"
    empty.mkdir()
    result = _lint_with_path(project_copy, empty)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "skip  generation 2: no promtool/amtool from Debian stable, on PATH" in result.stdout
    assert re.search(r"^ok    promtool 3\.5\.\d+ test rules", result.stdout, re.M), result.stdout


def test_prometheus_option_picks_one_generation_and_versions_names_every_binary():
    result = run_vvdash(["lint", "--prometheus", "2"], ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    tools = [line.split()[1:3] for line in result.stdout.splitlines()
             if line.startswith("ok ") and line.split()[1] in ("promtool", "amtool")]
    assert tools and all(v.startswith(("2.", "0.25")) for _, v in tools), result.stdout
    versions = run_vvdash(["lint", "--versions"], ROOT)
    assert versions.returncode == 0, versions.stderr
    from vvdash.generations import BINARIES

    unstable_bin = ROOT / ".tools" / "debian-unstable" / "usr" / "bin"

    for binary in BINARIES:
        assert re.search(rf"^  {binary} +3\.5\.\d+ +{unstable_bin / binary}$" if binary in ("prometheus", "promtool")
                         else rf"^  {binary} +\S+ +{unstable_bin / binary}$", versions.stdout, re.M), versions.stdout
        assert re.search(rf"^  {binary} +\S+ +/usr/bin/{binary}$", versions.stdout, re.M), versions.stdout
    assert "generation 3 (Debian unstable" in versions.stdout and "generation 2 (Debian stable" in versions.stdout


def test_lint_dashboards_runs_only_the_dashboard_linter():
    result = run_vvdash(["lint", "dashboards"], ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    steps = [line.split()[1] for line in result.stdout.splitlines() if line.startswith(("ok ", "skip ", "FAIL "))]
    assert steps == ["dashboard-lint"]
