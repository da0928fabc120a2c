"""Fuzz: several hundred hostile inventories through the real CLI entry point.

Each must end in one of two ways, with no traceback and no hang:
- exit 2, at most three lines on stderr, each `vvdash: error: ...`, naming the culprit key (or file);
- exit 0, with output promtool and amtool accept, JSON a strict parser reads (no NaN/Infinity),
  and none of the case's injected text.
Builds run in this process (vvdash.cli.main, stdout/stderr captured) to stay within about a
minute; promtool and amtool then check every accepted build's output in a few batched calls.
The seed is random per run and printed; VVDASH_FUZZ_SEED=N repeats a run.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
import time
from collections import Counter
from pathlib import Path

import pytest
import yaml

from tests.hardening.hostile_inventories import SECRET, all_cases
from tests.hardening.inprocess import run_cli

ROOT = Path(__file__).resolve().parents[2]


def _tools(name: str) -> list[str]:
    """Every generation of a tool on this machine: the project's fetched one and the system's."""
    found = [str(p) for p in [ROOT / ".tools/debian-unstable/usr/bin" / name] if p.exists()]
    system = shutil.which(name)
    if system and os.path.realpath(system) not in map(os.path.realpath, found):
        found.append(system)
    return found


def _strict_json(text: str):
    def refuse(constant):
        raise ValueError(f"non-JSON constant {constant}")
    return json.loads(text, parse_constant=refuse)


def _check_accepted_output(case, out: Path) -> list[str]:
    problems = []
    files = [p for p in out.rglob("*") if p.is_file()]
    if not any(p.suffix == ".json" for p in files):
        problems.append("no dashboards written")
    for path in files:
        text = path.read_text(encoding="utf-8")
        if case.marker and case.marker in text:
            problems.append(f"{path.relative_to(out)} contains the injected text {case.marker!r}")
        try:
            if path.suffix == ".json":
                _strict_json(text)
            elif path.suffix in (".yml", ".yaml"):
                yaml.safe_load(text)
        except ValueError as exc:
            problems.append(f"{path.relative_to(out)}: {exc}")
    return problems


def _check_refusal(case, code, stdout: str, stderr: str, inventory: Path) -> list[str]:
    lines = stderr.splitlines()
    said = stderr.replace(str(inventory), "<file>")   # the culprit is named after the file
    problems = []
    if code != 2:
        problems.append(f"exit {code}")
    if not 1 <= len(lines) <= 3:
        problems.append(f"{len(lines)} lines on stderr")
    if any(not line.startswith("vvdash: error: ") for line in lines):
        problems.append("a line that is not `vvdash: error: ...`")
    if not any(name in said for name in case.names):
        problems.append(f"names none of {case.names}")
    return problems


def _batched(argv: list[str], files: list[Path], size: int = 60) -> list[str]:
    """Failures of `argv FILES...`, in batches; each failure keeps the tool's output."""
    failures = []
    for start in range(0, len(files), size):
        batch = [str(f) for f in files[start:start + size]]
        result = subprocess.run([*argv, *batch], capture_output=True, text=True, timeout=300)
        if result.returncode != 0:
            failures.append(f"{' '.join(argv[:3])}: {(result.stdout + result.stderr)[-3000:]}")
    return failures


@pytest.mark.timeout(600)
def test_hostile_inventories_exit_2_naming_the_key_or_build_valid_output(tmp_path):
    seed = int(os.environ.get("VVDASH_FUZZ_SEED") or random.randrange(10**6))
    cases = all_cases(seed)
    assert len(cases) >= 300
    failures: list[str] = []
    outcomes: Counter = Counter()
    accepted: list[tuple[object, Path]] = []
    slowest = (0.0, "")
    slowest_refusal = (0.0, "")
    started = time.monotonic()
    for i, case in enumerate(cases):
        folder = tmp_path / f"c{i:03d}"
        folder.mkdir()
        where = f"[seed {seed}] {case.category} / {case.name!r}"
        try:
            inventory = case.write(folder)
        except OSError as exc:
            pytest.fail(f"{where}: cannot set up the case: {exc}")
        out = folder / "out"
        t0 = time.monotonic()
        code, stdout, stderr, crash = run_cli(["--inventory", str(inventory), "build", "--out", str(out)])
        elapsed = time.monotonic() - t0
        slowest = max(slowest, (elapsed, where))
        if crash:
            failures.append(f"{where}: {crash.strip().splitlines()[-1]}")
            continue
        problems = []
        if "Traceback" in stdout + stderr:
            problems.append("a traceback")
        if SECRET in stdout + stderr:
            problems.append("the inline secret is echoed")
        if code == 0:
            outcomes[(case.category, "exit 0")] += 1
            if case.expect == "reject":
                problems.append("accepted, but must be refused")
            if stderr:
                problems.append(f"stderr on success: {stderr[:200]!r}")
            problems += _check_accepted_output(case, out)
            accepted.append((case, out))
        else:
            slowest_refusal = max(slowest_refusal, (elapsed, where))
            outcomes[(case.category, "exit 2")] += 1
            if case.expect == "accept":
                problems.append(f"refused, but must be accepted: {stderr.strip()[:300]}")
            else:
                problems += _check_refusal(case, code, stdout, stderr, inventory)
            if out.exists() and any(out.iterdir()):
                problems.append("a refused build wrote output")
        if problems:
            failures.append(f"{where}: {'; '.join(problems)} (stderr: {stderr.strip()[:300]!r})")
    build_seconds = time.monotonic() - started

    # promtool and amtool on every accepted build, batched; each generation found on this machine.
    promtools, amtools = _tools("promtool"), _tools("amtool")
    assert promtools and amtools, "promtool and amtool must be installed (make setup)"
    rules = [p for _, out in accepted for p in sorted((out / "prometheus/rules").glob("*.yml"))]
    configs = [out / "prometheus/prometheus.yml" for _, out in accepted]
    am_configs = [out / "alertmanager/alertmanager.yml" for _, out in accepted]
    for promtool in promtools:
        failures += _batched([promtool, "check", "rules", "--lint=all", "--lint-fatal"], rules)
        failures += _batched([promtool, "check", "config", "--syntax-only"], configs)
    for amtool in amtools:
        failures += _batched([amtool, "check-config"], am_configs)

    categories = sorted({c.category for c in cases})
    table = "\n".join(f"  {cat:20} {sum(1 for c in cases if c.category == cat):4} cases: "
                      f"{outcomes[(cat, 'exit 2')]:4} exit 2, {outcomes[(cat, 'exit 0')]:3} exit 0"
                      for cat in categories)
    print(f"\nseed {seed}: {len(cases)} hostile inventories in {build_seconds:.1f}s "
          f"(slowest {slowest[0]:.2f}s: {slowest[1]}; slowest refusal {slowest_refusal[0]:.2f}s: "
          f"{slowest_refusal[1]}); {len(accepted)} accepted builds checked by "
          f"{len(promtools)} promtool and {len(amtools)} amtool\n{table}")
    assert not failures, f"{len(failures)} of {len(cases)} cases failed:\n" + "\n".join(failures[:40])
