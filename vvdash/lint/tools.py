"""Run promtool and amtool of one generation and turn their output into Issues.

Every finding ends with the tool and version it fails on, e.g. `(on promtool 3.5.3)`.
"""

from __future__ import annotations

import json
import re
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import yaml

from vvdash.errors import VVError
from vvdash.generations import GENERATIONS, Generation
from vvdash.lint import Issue

TIMEOUT = 60


def default_generation(*binaries: str) -> Generation:
    """The newest generation that has the binaries; else generation 2, whose missing-binary
    error names the Debian package to install."""
    return next((gen for gen in GENERATIONS.values() if gen.has(*binaries)), GENERATIONS[2])


def require_binary(name: str) -> str:
    return default_generation(name).require(name)


def run(argv: list[str], cwd: Path | None = None, gen: Generation | None = None) -> subprocess.CompletedProcess:
    binary = (gen or default_generation(argv[0])).require(argv[0])
    try:
        return subprocess.run([binary, *argv[1:]], cwd=cwd, capture_output=True, text=True, timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        raise VVError(f"{argv[0]} {argv[1]}: no answer within {TIMEOUT}s") from None


def _on(gen: Generation | None, binary: str) -> str:
    return f" (on {(gen or default_generation(binary)).label(binary)})"


def _lines(text: str) -> list[str]:
    return [line.rstrip() for line in text.splitlines() if line.strip()]


def _per_file(argv: list[str], files: list[Path], gen: Generation | None) -> list[tuple[Path, subprocess.CompletedProcess]]:
    """Run `argv FILE` for each file, two at a time: promtool prints its verdicts on stdout and the
    reasons on stderr, so only one file per process keeps each reason with its file."""
    with ThreadPoolExecutor(max_workers=2) as pool:
        return list(pool.map(lambda f: (f, run([*argv, str(f)], gen=gen)), files))


def _reasons(result: subprocess.CompletedProcess, drop=("Checking", "Unit Testing", "SUCCESS", "FAILED:")) -> list[str]:
    return [ln.strip().rstrip(",") for ln in _lines(result.stdout + "\n" + result.stderr)
            if not ln.strip().startswith(drop) and not re.match(r"^\d+ rules found$", ln.strip())]


def promtool_check_rules(files: list[Path], shown: dict[Path, str], gen: Generation | None = None) -> list[Issue]:
    """`promtool check rules --lint=all --lint-fatal`: a lint finding fails like an error."""
    issues = []
    for path, result in _per_file(["promtool", "check", "rules", "--lint=all", "--lint-fatal"], files, gen):
        if result.returncode != 0:
            name = shown.get(path, str(path))
            issues.append(Issue(name, ("; ".join(_reasons(result)) or f"exit {result.returncode}")
                                + _on(gen, "promtool"), file=name))
    return issues


def promtool_check_config(path: Path, shown: str, gen: Generation | None = None) -> list[Issue]:
    """`promtool check config` (it checks the rule files the config names as well)."""
    result = run(["promtool", "check", "config", "--lint=all", "--lint-fatal", str(path)], gen=gen)
    if result.returncode == 0:
        return []
    return [Issue(shown, ("; ".join(_reasons(result)) or f"exit {result.returncode}") + _on(gen, "promtool"),
                  file=shown)]


def failed_cases(lines: list[str], expr_groups: dict | None = None) -> list[tuple[str, list[str]]]:
    """promtool's failure report split into its cases: (test name, lines), one per failing
    alert_rule_test (`name: T` then `alertname: A, time: X`) or promql_expr_test (`expr: "E",
    time: X`, with no name line: `expr_groups` maps (E, X) to its test's name). Lines before
    any case (a file that does not load) are one case without a name."""
    cases: list[tuple[str, list[str]]] = []
    for line in lines:
        m = re.match(r"^name: (.*)$", line)
        e = re.match(r'^expr: (".*"), time: (\S+)$', line)
        if m:
            cases.append((m.group(1), [line]))
        elif e and not (cases and len(cases[-1][1]) == 1 and cases[-1][0]):
            try:
                key = (json.loads(e.group(1)), e.group(2))
            except ValueError:
                key = None
            name = (expr_groups or {}).get(key, "")
            cases.append((name, [f"name: {name}", line] if name else [line]))
        elif cases:
            cases[-1][1].append(line)
        else:
            cases.append(("", [line]))
    return cases


def expr_test_names(path: Path) -> dict[tuple[str, str], str]:
    """(promql_expr_test expr, eval_time) -> the name of its test group, from a test file."""
    try:
        data = yaml.safe_load(Path(path).read_text()) or {}
    except (OSError, yaml.YAMLError):
        return {}
    out = {}
    for test in data.get("tests") or []:
        if isinstance(test, dict) and isinstance(test.get("name"), str):
            for case in test.get("promql_expr_test") or []:
                if isinstance(case, dict):
                    out[(str(case.get("expr")), str(case.get("eval_time")))] = test["name"]
    return out


def _alert_counts(lines: list[str]) -> str:
    """`expected 2 alerts, got 1` from an alert case's exp:[...] got:[...] listing."""
    counts, side = {"exp": 0, "got": 0}, None
    for line in lines:
        m = re.match(r"^(exp|got):\[(\])?", line)
        if m:
            side = m.group(1)
        elif side and re.fullmatch(r"\d+:", line):
            counts[side] += 1
    if side is None:
        return ""
    plural = lambda n: f"{n} alert{'s' if n != 1 else ''}" if n else "none"  # noqa: E731
    return f": expected {plural(counts['exp'])}, got {plural(counts['got'])}"


def promtool_test_rules(files: list[Path], shown: dict[Path, str], gen: Generation | None = None) -> list[Issue]:
    """`promtool test rules`, one process per file; one Issue per failing case, promtool's exp/got
    diff in its detail."""
    issues = []
    on = None
    for path, result in _per_file(["promtool", "test", "rules"], files, gen):
        if result.returncode == 0:
            continue
        on = on or _on(gen, "promtool")
        name = shown.get(path, str(path))
        cases = failed_cases(_reasons(result, drop=("Unit Testing", "FAILED:", "SUCCESS")), expr_test_names(path))
        if not cases:
            issues.append(Issue(name, f"promtool test failed: exit {result.returncode}{on}", file=name))
        for test, lines in cases:
            head = lines[0] if not test else f"name: {test}" + (
                f", {lines[1]}" if len(lines) > 1 and lines[1].startswith(("alertname:", "expr:")) else "")
            head = head if len(head) <= 240 else head[:237] + "..."
            issues.append(Issue(name, f"promtool test failed: {head}{_alert_counts(lines)}{on}", file=name,
                                detail="\n".join(lines)))
    return issues


def amtool_check_config(path: Path, shown: str, gen: Generation | None = None) -> list[Issue]:
    result = run(["amtool", "check-config", str(path)], gen=gen)
    if result.returncode == 0:
        return []
    # amtool reports on the "Checking" line itself: Checking 'FILE'  FAILED: <reason>
    lines = [ln.split("FAILED:", 1)[1].strip() if "FAILED:" in ln else ln.strip()
             for ln in _lines(result.stdout + "\n" + result.stderr)
             if "FAILED:" in ln or not ln.startswith(("Checking", "amtool: error: failed to validate"))]
    on = _on(gen, "amtool")
    return [Issue(shown, ln + on, file=shown) for ln in lines] or [Issue(shown, f"exit {result.returncode}{on}")]


def amtool_route_case(path: Path, labels: dict, receivers: list[str], name: str, cases_file: str,
                      gen: Generation | None = None) -> list[Issue]:
    """One routing case through `amtool config routes test --verify.receivers`."""
    argv = ["amtool", "config", "routes", "test", f"--config.file={path}",
            f"--verify.receivers={','.join(receivers)}", *(f"{k}={v}" for k, v in sorted(labels.items()))]
    result = run(argv, gen=gen)
    if result.returncode == 0:
        return []
    got = _lines(result.stdout)
    return [Issue(f"{cases_file} / {name}",
                  f"routes to {got[0] if got else '(nothing)'}, expected {','.join(receivers)}{_on(gen, 'amtool')}",
                  file=cases_file, detail=(result.stdout + result.stderr).strip())]
