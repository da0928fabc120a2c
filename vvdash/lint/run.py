"""The lint steps, in order; the tool steps run side by side on the rendered build."""

from __future__ import annotations

import shutil
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path


from vvdash import project_folder
from vvdash.build import render
from vvdash.check import alert_style, contract, rule_tests
from vvdash.check import dashboard_lint as dashboard_lint_check
from vvdash.emit.alertmanager import CONFIG_PATH as AM_CONFIG
from vvdash.errors import VVError
from vvdash.fleet import fleet_lint_files
from vvdash.findings import Finding
from vvdash.yaml_input import read_listing
from vvdash.generations import FETCH_COMMAND, GENERATIONS, Generation, generation
from vvdash.lint import StepResult, inhibitions, tools
from vvdash.project import Project, load_project
from vvdash.scenarios.render import OUT_DIR as SCENARIO_TESTS_DIR
from vvdash.scenarios.render import sources as scenario_sources

ROUTES_FILE = "rules/tests/routes.yaml"      # in the project folder
PROMETHEUS_CONFIG = "prometheus/prometheus.yml"
RULES_DIR = "prometheus/rules"


def _rel(path: Path) -> str:
    return project_folder.shown(path)


def _from_findings(step: str, findings) -> StepResult:
    issues = []
    for f in findings:
        first = f.where.split(" ")[0]
        issues.append(replace(f, file=first if first.endswith((".py", ".yml", ".yaml")) else f.file))
    return StepResult(step, issues)


def dashboard_lint(project: Project) -> StepResult:
    return _from_findings("dashboard-lint", dashboard_lint_check.check_project(project))


def load_route_cases(path: Path | None = None) -> dict:
    path = path or project_folder.path(ROUTES_FILE)
    data = read_listing(path, "routes", "routing cases", "expected a mapping with a routes: list", shown=_rel(path))
    for i, case in enumerate(data["routes"]):
        if not isinstance(case, dict) or not {"name", "labels", "receivers"} <= set(case):
            raise VVError(f"{_rel(path)}: routes[{i}]: needs name, labels and receivers")
    for i, case in enumerate(data.get("inhibitions") or []):
        if not isinstance(case, dict) or not {"name", "source", "target", "inhibited"} <= set(case):
            raise VVError(f"{_rel(path)}: inhibitions[{i}]: needs name, source, target and inhibited")
    return data


def _timed(step: str, func, *args) -> StepResult:
    start = time.monotonic()
    issues = func(*args)
    result = issues if isinstance(issues, StepResult) else StepResult(step, issues)
    result.seconds = time.monotonic() - start
    return result


def _route_steps(config: Path, cases: dict, cases_file: str, gen: Generation | None = None) -> list[Finding]:
    issues = []
    with ThreadPoolExecutor(max_workers=4) as pool:
        futures = [pool.submit(tools.amtool_route_case, config, c["labels"], list(c["receivers"]), c["name"],
                               cases_file, gen) for c in cases["routes"]]
        for fut in futures:
            issues += fut.result()
    return issues


def _inhibition_step(config: Path, cases: dict, cases_file: str, binary: str | None = None) -> list[Finding]:
    """The inhibition cases on a real Alertmanager (`binary`: one generation; default the one on PATH)."""
    binary = binary or tools.require_binary("prometheus-alertmanager")
    return inhibitions.check_cases(binary, config, cases.get("inhibitions") or [], cases_file)


def rule_test_paths(gen: Path, tests: Path, hand_written: list[Path]) -> tuple[list[Path], dict[Path, str]]:
    """The promtool test files to run and how to name each: those the build rendered from the
    scenarios for this inventory (generated/prometheus/tests/, named by their scenario module)
    and the hand-written rules/tests/*.yml copied to `tests`."""
    sources = scenario_sources()
    rendered = sorted((gen / SCENARIO_TESTS_DIR).glob("*.yml"))
    shown = {p: sources.get(p.name, f"generated/{SCENARIO_TESTS_DIR}/{p.name}")
             for p in rendered}
    shown.update({tests / p.name: _rel(p) for p in hand_written})
    return rendered + [tests / p.name for p in hand_written], shown


def lint_dashboards(inventory_path=None) -> list[StepResult]:
    return [dashboard_lint(load_project(inventory_path))]


def lint_generations(only: int | None = None) -> list[Generation]:
    """The generations lint runs promtool and amtool of: `only`, or every one that has both
    (none at all is generation 2's missing-binary error, exit 2)."""
    if only is not None:
        gen = generation(only)
        for binary in ("promtool", "amtool"):
            gen.require(binary)
        return [gen]
    found = [g for g in GENERATIONS.values() if g.has("promtool", "amtool")]
    if not found:
        for binary in ("promtool", "amtool"):
            GENERATIONS[2].require(binary)
    return found


def _generation_jobs(gen: Generation, rule_files: list[Path], test_files: list[Path], shown: dict,
                     prom_config: Path, am_config: Path, cases: dict, cases_file: str) -> dict:
    """One generation's tool steps, each named with the tool's version: step -> (func, *args)."""
    prom, am = gen.label("promtool"), gen.label("amtool")
    jobs: dict[str, object] = {
        f"{prom} check config": (tools.promtool_check_config, prom_config, f"generated/{PROMETHEUS_CONFIG}", gen),
        f"{prom} check rules": (tools.promtool_check_rules, rule_files, shown, gen),
        f"{prom} test rules": (tools.promtool_test_rules, test_files, shown, gen),
        f"{am} check-config": (tools.amtool_check_config, am_config, f"generated/{AM_CONFIG}", gen),
        f"{am} routes test": (_route_steps, am_config, cases, cases_file, gen),
    }
    if not test_files:
        jobs[f"{prom} test rules"] = StepResult(f"{prom} test rules", skipped="no promtool test files")
    return jobs


def _skipped_generations(ran: list[Generation], only: int | None) -> list[StepResult]:
    if only is not None:
        return []
    return [StepResult(f"generation {g.number}", skipped=f"no promtool/amtool from {g.source}; "
                       f"run `{FETCH_COMMAND}`" if g.bin_dir else f"no promtool/amtool from {g.source}")
            for g in GENERATIONS.values() if g not in ran]


def lint_all(inventory_path=None, tests_dir: Path | None = None,
             routes_file: Path | None = None, prometheus: int | None = None) -> list[StepResult]:
    tests_dir = tests_dir or rule_tests.tests_dir()
    routes_file = routes_file or project_folder.path(ROUTES_FILE)
    project = load_project(inventory_path)
    files = render(project)
    rendered_tests = {p: c for p, c in files.items() if p.startswith(f"{SCENARIO_TESTS_DIR}/")}
    cases = load_route_cases(routes_file)
    cases_file = _rel(routes_file)
    # Binaries first, so a missing one stops lint before any work (exit 2).
    generations = lint_generations(prometheus)
    work = Path(tempfile.mkdtemp(prefix="vvdash-lint-"))
    try:
        gen = work / "generated"
        for rel, content in files.items():
            (gen / rel).parent.mkdir(parents=True, exist_ok=True)
            (gen / rel).write_bytes(content)
        # Test files name their rules as ../../generated/prometheus/rules/X.yml: keep that layout.
        tests = work / "rules" / "tests"
        tests.mkdir(parents=True)
        test_files = rule_tests.test_files(tests_dir)
        for path in test_files:
            shutil.copy2(path, tests / path.name)
        rule_files = sorted((gen / RULES_DIR).glob("*.yml"))
        shown = {p: f"generated/{RULES_DIR}/{p.name}" for p in rule_files}
        test_paths, test_shown = rule_test_paths(gen, tests, test_files)
        shown.update(test_shown)
        fleet_rules, fleet_tests = fleet_lint_files(gen)     # none without `fleet`
        rule_files += fleet_rules
        test_paths += fleet_tests
        shown.update({p: f"generated/{p.relative_to(gen)}" for p in fleet_rules + fleet_tests})
        am_config = gen / AM_CONFIG
        prom_config = gen / PROMETHEUS_CONFIG
        jobs = {}
        for g in generations:
            jobs.update(_generation_jobs(g, rule_files, test_paths, shown,
                                         prom_config, am_config, cases, cases_file))
            # Inhibitions on this generation's real Alertmanager.
            jobs[f"{g.label('prometheus-alertmanager')} inhibitions"] = (
                _inhibition_step, am_config, cases, cases_file, g.require("prometheus-alertmanager"))
        # The tools run (mostly waiting on their processes) while vvdash's own checks run here; the
        # results keep their order whatever finishes first.
        with ThreadPoolExecutor(max_workers=4) as pool:
            # The longest first (rule tests, then the Alertmanagers' wait), so neither generation's
            # rule tests queue behind the quick checks.
            first = sorted(jobs, key=lambda step: (not step.endswith(" test rules"), not step.endswith(" inhibitions")))
            futures = {step: jobs[step] if isinstance(jobs[step], StepResult)
                       else pool.submit(_timed, step, jobs[step][0], *jobs[step][1:]) for step in first}
            results = [
                _timed("contract", lambda: _from_findings("contract", contract.check_project(project))),
                _timed("alert-style", lambda: _from_findings("alert-style", alert_style.check_project(project))),
                _timed("rule-test-coverage",
                       lambda: _from_findings("rule-test-coverage",
                                              rule_tests.check_project(project, tests_dir, rendered_tests))),
                _timed("dashboard-lint", dashboard_lint, project),
            ]
            tool_results: list[StepResult] = []
            for step in jobs:
                done = futures[step]
                tool_results.append(done if isinstance(done, StepResult) else done.result())
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return results + tool_results + _skipped_generations(generations, prometheus)
