"""Run promtool and amtool and turn their output into Issues."""

from __future__ import annotations

import re
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from vvdash.errors import VVError
from vvdash.lint import Issue
from vvdash.procs import require_binary

TIMEOUT = 60


def run(argv: list[str], cwd: Path | None = None) -> subprocess.CompletedProcess:
    binary = require_binary(argv[0])
    try:
        return subprocess.run([binary, *argv[1:]], cwd=cwd, capture_output=True, text=True, timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        raise VVError(f"{argv[0]} {argv[1]}: no answer within {TIMEOUT}s") from None


def _lines(text: str) -> list[str]:
    return [line.rstrip() for line in text.splitlines() if line.strip()]


def promtool_check_rules(files: list[Path], shown: dict[Path, str]) -> list[Issue]:
    """`promtool check rules --lint=all --lint-fatal`: a lint finding fails like an error."""
    result = run(["promtool", "check", "rules", "--lint=all", "--lint-fatal", *map(str, files)])
    if result.returncode == 0:
        return []
    issues = []
    current = None
    for line in _lines(result.stdout + "\n" + result.stderr):
        m = re.match(r"Checking (\S+)", line)
        if m:
            current = Path(m.group(1))
            continue
        if line.strip().startswith(("SUCCESS", "Checking")):
            continue
        name = shown.get(current, str(current)) if current else "promtool check rules"
        issues.append(Issue(name, line.strip(), file=name if current else ""))
    return issues or [Issue("promtool check rules", f"exit {result.returncode}")]


def promtool_check_config(path: Path, shown: str) -> list[Issue]:
    result = run(["promtool", "check", "config", "--lint=all", "--lint-fatal", str(path)])
    if result.returncode == 0:
        return []
    lines = [ln.strip() for ln in _lines(result.stdout + "\n" + result.stderr)
             if "SUCCESS" not in ln and not ln.startswith("Checking")]
    return [Issue(shown, ln, file=shown) for ln in lines] or [Issue(shown, f"exit {result.returncode}")]


def promtool_test_rules(files: list[Path], shown: dict[Path, str]) -> list[Issue]:
    """`promtool test rules`, one process per file (side by side), so each failure names its file.

    promtool's own exp/got diff goes into the Issue's detail (the JUnit body).
    """
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(lambda f: (f, run(["promtool", "test", "rules", str(f)])), files))
    issues = []
    for path, result in results:
        if result.returncode == 0:
            continue
        name = shown.get(path, str(path))
        lines = [ln for ln in _lines(result.stdout + "\n" + result.stderr)
                 if not ln.startswith("Unit Testing") and ln.strip() != "FAILED:"]
        first = next((ln.strip().rstrip(",") for ln in lines), f"exit {result.returncode}")
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
