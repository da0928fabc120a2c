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
from vvdash.findings import Finding
from vvdash.generations import GENERATIONS, Generation
from vvdash.scenarios.render import member_named

TIMEOUT = 300   # a large rendered test file on a busy machine takes promtool minutes, not hours


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
    """`argv FILE...` for every file: [(file, its result)] in the order of `files`.

    The files go to two processes at once, split by size, so a clean run starts few processes.
    promtool prints its verdicts on stdout and the reasons on stderr, so a reason cannot be told
    to its file when one process checks several: the files of a process that fails are run again
    one per process, two at a time, and each gets its own result."""
    batches: list[list[Path]] = [[], []]
    loads = [0, 0]
    for f in sorted(files, key=_size, reverse=True):        # the largest first, to the lighter batch
        i = loads.index(min(loads))
        batches[i].append(f)
        loads[i] += _size(f)
    batches = [b for b in batches if b]
    out: dict[Path, subprocess.CompletedProcess] = {}
    with ThreadPoolExecutor(max_workers=2) as pool:
        done = list(zip(batches, pool.map(lambda b: run([*argv, *map(str, b)], gen=gen), batches), strict=True))
        again = [f for batch, result in done for f in (batch if result.returncode != 0 and len(batch) > 1 else [])]
        for batch, result in done:
            if result.returncode == 0 or len(batch) == 1:
                out.update(dict.fromkeys(batch, result))
        out.update(zip(again, pool.map(lambda f: run([*argv, str(f)], gen=gen), again), strict=True))
    return [(f, out[f]) for f in files]


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _reasons(result: subprocess.CompletedProcess, drop=("Checking", "Unit Testing", "SUCCESS", "FAILED:")) -> list[str]:
    return [ln.strip().rstrip(",") for ln in _lines(result.stdout + "\n" + result.stderr)
            if not ln.strip().startswith(drop) and not re.match(r"^\d+ rules found$", ln.strip())]


def promtool_check_rules(files: list[Path], shown: dict[Path, str], gen: Generation | None = None) -> list[Finding]:
    """`promtool check rules --lint=all --lint-fatal`: a lint finding fails like an error."""
    issues = []
    for path, result in _per_file(["promtool", "check", "rules", "--lint=all", "--lint-fatal"], files, gen):
        if result.returncode != 0:
            name = shown.get(path, str(path))
            issues.append(Finding(name, ("; ".join(_reasons(result)) or f"exit {result.returncode}")
                                + _on(gen, "promtool"), file=name))
    return issues


def promtool_check_config(path: Path, shown: str, gen: Generation | None = None) -> list[Finding]:
    """`promtool check config` (it checks the rule files the config names as well)."""
    result = run(["promtool", "check", "config", "--lint=all", "--lint-fatal", str(path)], gen=gen)
    if result.returncode == 0:
        return []
    return [Finding(shown, ("; ".join(_reasons(result)) or f"exit {result.returncode}") + _on(gen, "promtool"),
                  file=shown)]


def failed_cases(output: str, expr_groups: dict | None = None) -> list[tuple[str, str]]:
    """promtool's failure report split per failing case: (one-line summary, the case's exp/got).

    promtool writes each case as `name: TEST,` then `alertname: A, time: T,` (or `expr: E, time: T,`)
    then `exp:[...]` and `got:[...]`; the summary names the test, the alert and time, and how
    many alerts were expected and got."""
    blocks: list[list[str]] = []
    current: list[str] = []
    for line in output.splitlines():
        stripped = line.strip()
        # A failing promql_expr_test is printed without its test's name: it starts a case of its
        # own, named from the test file (`expr_groups`, see expr_test_names).
        nameless_expr = stripped.startswith("expr: ") and not (len(current) == 1 and current[0].strip().startswith("name: "))
        if (stripped.startswith("name: ") or nameless_expr) and current:
            blocks.append(current)
            current = []
        if nameless_expr:
            m = re.match(r'^expr: (".*"), time: (\S+?),?$', stripped)
            try:
                key = (json.loads(m.group(1)), m.group(2)) if m else None
            except ValueError:
                key = None
            current.append(f"name: {(expr_groups or {}).get(key, 'expression test')},")
        if stripped.startswith("name: ") or current:
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


def promtool_test_rules(files: list[Path], shown: dict[Path, str], gen: Generation | None = None) -> list[Finding]:
    """`promtool test rules`, one process per file; one Finding per failing case, promtool's
    exp/got in its detail, the promtool version at the end."""
    issues = []
    on = None
    for path, result in _per_file(["promtool", "test", "rules"], files, gen):
        if result.returncode == 0:
            continue
        on = on or _on(gen, "promtool")
        name = shown.get(path, str(path))
        cases = failed_cases(result.stdout + "\n" + result.stderr, expr_test_names(path))
        if cases:
            issues += [Finding(name, f"promtool test failed: {summary}{on}", file=name, detail=detail)
                       for summary, detail in cases]
            continue
        lines = _reasons(result, drop=("Unit Testing", "FAILED:"))
        first = lines[0] if lines else f"exit {result.returncode}"
        issues.append(Finding(name, f"promtool test failed: {first}{on}", file=name, detail="\n".join(lines)))
    return issues


def amtool_check_config(path: Path, shown: str, gen: Generation | None = None) -> list[Finding]:
    result = run(["amtool", "check-config", str(path)], gen=gen)
    if result.returncode == 0:
        return []
    # amtool reports on the "Checking" line itself: Checking 'FILE'  FAILED: <reason>
    lines = [ln.split("FAILED:", 1)[1].strip() if "FAILED:" in ln else ln.strip()
             for ln in _lines(result.stdout + "\n" + result.stderr)
             if "FAILED:" in ln or not ln.startswith(("Checking", "amtool: error: failed to validate"))]
    on = _on(gen, "amtool")
    return [Finding(shown, ln + on, file=shown) for ln in lines] or [Finding(shown, f"exit {result.returncode}{on}")]


def amtool_route_case(path: Path, labels: dict, receivers: list[str], name: str, cases_file: str,
                      gen: Generation | None = None) -> list[Finding]:
    """One routing case through `amtool config routes test --verify.receivers`."""
    argv = ["amtool", "config", "routes", "test", f"--config.file={path}",
            f"--verify.receivers={','.join(receivers)}", *(f"{k}={v}" for k, v in sorted(labels.items()))]
    result = run(argv, gen=gen)
    if result.returncode == 0:
        return []
    got = _lines(result.stdout)
    return [Finding(f"{cases_file} / {name}",
                  f"routes to {got[0] if got else '(nothing)'}, expected {','.join(receivers)}{_on(gen, 'amtool')}",
                  file=cases_file, detail=(result.stdout + result.stderr).strip())]
