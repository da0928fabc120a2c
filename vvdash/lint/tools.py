"""Run promtool and amtool and turn their output into Issues."""

from __future__ import annotations

import re
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from vvdash.errors import VVError
from vvdash.lint import Issue
from vvdash.procs import require_binary
from vvdash.scenarios.render import member_named

TIMEOUT = 60


def run(argv: list[str], cwd: Path | None = None) -> subprocess.CompletedProcess:
    binary = require_binary(argv[0])
    try:
        return subprocess.run([binary, *argv[1:]], cwd=cwd, capture_output=True, text=True, timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        raise VVError(f"{argv[0]} {argv[1]}: no answer within {TIMEOUT}s") from None


def _lines(text: str) -> list[str]:
    return [line.rstrip() for line in text.splitlines() if line.strip()]


def _per_file(argv: list[str], files: list[Path]) -> list[tuple[Path, subprocess.CompletedProcess]]:
    """Run `argv FILE` for each file, two at a time: promtool prints its verdicts on stdout and the
    reasons on stderr, so only one file per process keeps each reason with its file."""
    with ThreadPoolExecutor(max_workers=2) as pool:
        return list(pool.map(lambda f: (f, run([*argv, str(f)])), files))


def _reasons(result: subprocess.CompletedProcess, drop=("Checking", "Unit Testing", "SUCCESS", "FAILED:")) -> list[str]:
    return [ln.strip().rstrip(",") for ln in _lines(result.stdout + "\n" + result.stderr)
            if not ln.strip().startswith(drop) and not re.match(r"^\d+ rules found$", ln.strip())]


def promtool_check_rules(files: list[Path], shown: dict[Path, str]) -> list[Issue]:
    """`promtool check rules --lint=all --lint-fatal`: a lint finding fails like an error."""
    issues = []
    for path, result in _per_file(["promtool", "check", "rules", "--lint=all", "--lint-fatal"], files):
        if result.returncode != 0:
            name = shown.get(path, str(path))
            issues.append(Issue(name, "; ".join(_reasons(result)) or f"exit {result.returncode}", file=name))
    return issues


def promtool_check_config(path: Path, shown: str) -> list[Issue]:
    """`promtool check config` (it checks the rule files the config names as well)."""
    result = run(["promtool", "check", "config", "--lint=all", "--lint-fatal", str(path)])
    if result.returncode == 0:
        return []
    return [Issue(shown, "; ".join(_reasons(result)) or f"exit {result.returncode}", file=shown)]


def failed_cases(output: str) -> list[tuple[str, str]]:
    """promtool's failure report split per failing case: (one-line summary, the case's exp/got).

    promtool writes each case as `name: TEST,` then `alertname: A, time: T,` (or `expr: E, time: T,`)
    then `exp:[...]` and `got:[...]`; the summary names the test, the alert and time, and how
    many alerts were expected and got."""
    blocks, current = [], []
    for line in output.splitlines():
        if line.strip().startswith("name: ") and current:
            blocks.append(current)
            current = []
        if line.strip().startswith("name: ") or current:
            current.append(line.rstrip())
    if current:
        blocks.append(current)
    out = []
    for block in blocks:
        text = "\n".join(block).strip()
        name = block[0].strip()[len("name: "):].rstrip(",")
        what = block[1].strip().rstrip(", ") if len(block) > 1 else ""
        name = member_named(name, what)
        exp = re.search(r"exp:\s*(\[\]|\[)", text)
        got = re.search(r"got:\s*(\[\]|\[)", text)
        if exp and got and what.startswith("alertname"):
            n_exp = 0 if exp.group(1) == "[]" else text[exp.end():got.start()].count("Labels:")
            n_got = 0 if got.group(1) == "[]" else text[got.end():].count("Labels:")
            verdict = (f"expected {n_exp} firing, got {n_got}" if n_exp != n_got
                       else f"expected {n_exp} firing, got {n_got} with other labels or annotations")
            out.append((f"{name}: {what}: {verdict}", text))
        else:
            out.append((f"{name}: {what}" if what else name, text))
    return out


def promtool_test_rules(files: list[Path], shown: dict[Path, str]) -> list[Issue]:
    """`promtool test rules`, one process per file; one Issue per failing case, promtool's
    exp/got in its detail."""
    issues = []
    for path, result in _per_file(["promtool", "test", "rules"], files):
        if result.returncode == 0:
            continue
        name = shown.get(path, str(path))
        cases = failed_cases(result.stdout + "\n" + result.stderr)
        if cases:
            issues += [Issue(name, f"promtool test failed: {summary}", file=name, detail=detail)
                       for summary, detail in cases]
            continue
        lines = _reasons(result, drop=("Unit Testing", "FAILED:"))
        first = lines[0] if lines else f"exit {result.returncode}"
        issues.append(Issue(name, f"promtool test failed: {first}", file=name, detail="\n".join(lines)))
    return issues


def amtool_check_config(path: Path, shown: str) -> list[Issue]:
    result = run(["amtool", "check-config", str(path)])
    if result.returncode == 0:
        return []
    # amtool reports on the "Checking" line itself: Checking 'FILE'  FAILED: <reason>
    lines = [ln.split("FAILED:", 1)[1].strip() if "FAILED:" in ln else ln.strip()
             for ln in _lines(result.stdout + "\n" + result.stderr)
             if "FAILED:" in ln or not ln.startswith(("Checking", "amtool: error: failed to validate"))]
    return [Issue(shown, ln, file=shown) for ln in lines] or [Issue(shown, f"exit {result.returncode}")]


def amtool_route_case(path: Path, labels: dict, receivers: list[str], name: str, cases_file: str) -> list[Issue]:
    """One routing case through `amtool config routes test --verify.receivers`."""
    argv = ["amtool", "config", "routes", "test", f"--config.file={path}",
            f"--verify.receivers={','.join(receivers)}", *(f"{k}={v}" for k, v in sorted(labels.items()))]
    result = run(argv)
    if result.returncode == 0:
        return []
    got = _lines(result.stdout)
    return [Issue(f"{cases_file} / {name}",
                  f"routes to {got[0] if got else '(nothing)'}, expected {','.join(receivers)}", file=cases_file,
                  detail=(result.stdout + result.stderr).strip())]
