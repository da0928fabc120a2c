"""Full `python -m vvdash lint` as a whole process, per Prometheus generation: median wall time of
3 runs each, and their sum (target: <= 10 s for one inventory on both generations).

Every run renders the build (rule tests from the scenarios included), runs the vvdash checks,
promtool (check rules, test rules, check config) and amtool (check-config, routing cases) on it.
Generation 3 puts the fetched Debian-unstable tools (.tools/debian-unstable/usr/bin) first on
PATH; generation 2 uses Debian stable's on PATH. When `vvdash lint` runs both generations itself,
the generation-3 run already covers both and is the figure to read.

Usage: .venv/bin/python benchmarks/bench_lint.py [RUNS] [--inventory FILE]
"""

from __future__ import annotations

import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
UNSTABLE_BIN = ROOT / ".tools" / "debian-unstable" / "usr" / "bin"
TARGET_SECONDS = 10.0


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _run(path: str, inventory: list[str]) -> tuple[float, float, subprocess.CompletedProcess]:
    """Wall and CPU seconds (the lint and every tool it ran) of one lint."""
    env = {**os.environ, "PATH": path}
    cpu, start = _cpu(), time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "vvdash", *inventory, "lint"], cwd=ROOT, env=env,
                          capture_output=True, text=True)
    return time.perf_counter() - start, _cpu() - cpu, proc


def main() -> int:
    args = sys.argv[1:]
    inventory = []
    if "--inventory" in args:
        i = args.index("--inventory")
        inventory = ["--inventory", args[i + 1]]
        del args[i:i + 2]
    runs = int(args[0]) if args else 3
    system = os.environ.get("PATH", "")
    generations = {"2 (Debian stable on PATH)": system}
    if (UNSTABLE_BIN / "promtool").exists():
        generations = {"3 (.tools/debian-unstable)": f"{UNSTABLE_BIN}{os.pathsep}{system}", **generations}
    else:
        print(f"generation 3 tools not fetched ({UNSTABLE_BIN}): measuring generation 2 only", file=sys.stderr)
    medians, cpus = {}, {}
    for name, path in generations.items():
        times, cpu = [], []
        for _ in range(runs):
            seconds, used, proc = _run(path, inventory)
            times.append(seconds)
            cpu.append(used)
            if proc.returncode != 0:
                print(proc.stdout + proc.stderr, file=sys.stderr)
                return 1
        medians[name], cpus[name] = statistics.median(times), statistics.median(cpu)
        summary = proc.stdout.strip().splitlines()[-1]
        print(f"lint, generation {name}: {summary}; runs {', '.join(f'{t:.2f}' for t in times)} s; "
              f"median {medians[name]:.2f} s wall, {cpus[name]:.2f} s CPU")
    total, cpu_total = sum(medians.values()), sum(cpus.values())
    # CPU seconds do not depend on what else the machine runs; wall seconds do.
    print(f"both generations: {total:.2f} s wall, {cpu_total:.2f} s CPU on {os.cpu_count()} cores, load "
          f"{os.getloadavg()[0]:.1f} (target <= {TARGET_SECONDS:.0f} s wall) -> "
          f"{'OK' if total <= TARGET_SECONDS else 'SLOW'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
