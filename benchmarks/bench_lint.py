"""Full `python -m vvdash lint` for one inventory as a whole process: median wall time of RUNS runs
(default 3; target <= 10 s), with the CPU seconds it and every tool it ran used, and the load
average before and after (the machine's other work shows in the wall time, not in the CPU).

One lint runs every step on both Prometheus generations: vvdash's own four checks, then per
generation promtool check config / check rules / test rules, amtool check-config and routes
test, and the inhibition cases on a real Alertmanager. The run fails unless both generations ran
(generation 3 comes from .tools/debian-unstable: `make tools`) and lint is clean.

Usage: .venv/bin/python benchmarks/bench_lint.py [RUNS] [--inventory FILE]
"""

from __future__ import annotations

import os
import re
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET_SECONDS = 10.0


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _run(inventory: list[str]) -> tuple[float, float, subprocess.CompletedProcess]:
    """Wall and CPU seconds (the lint and every tool it ran) of one lint."""
    cpu, start = _cpu(), time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "vvdash", *inventory, "lint"], cwd=ROOT,
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
    load_before = os.getloadavg()
    done = []
    for _ in range(runs):
        seconds, used, proc = _run(inventory)
        if proc.returncode != 0:
            print(proc.stdout + proc.stderr, file=sys.stderr)
            return 1
        done.append((seconds, used, proc.stdout))
    load_after = os.getloadavg()
    majors = set(re.findall(r"^ok    promtool (\d+)\.", done[0][2], flags=re.M))
    if majors != {"2", "3"}:
        print(f"lint ran promtool of generations {sorted(majors)}, not 2 and 3 (`make tools` fetches 3):\n"
              + done[0][2], file=sys.stderr)
        return 1
    wall = statistics.median(t for t, _, _ in done)
    cpu = statistics.median(c for _, c, _ in done)
    median_run = min(done, key=lambda d: abs(d[0] - wall))
    print(median_run[2].rstrip())
    print(f"vvdash lint, both generations, as a whole process: runs {', '.join(f'{t:.2f}' for t, _, _ in done)} s; "
          f"median {wall:.2f} s wall, {cpu:.2f} s CPU on {os.cpu_count()} cores; load average "
          f"{load_before[0]:.1f} before, {load_after[0]:.1f} after (target <= {TARGET_SECONDS:.0f} s wall) -> "
          f"{'OK' if wall <= TARGET_SECONDS else 'SLOW'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
