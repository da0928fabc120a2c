"""Full `python -m vvdash lint` as a whole process: median wall time of 3 runs (target <= 10 s).

Every run renders the build, runs the vvdash checks, promtool (check rules, test rules,
check config) and amtool (check-config, routing cases) on it.

Usage: .venv/bin/python benchmarks/bench_lint.py [RUNS]
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET_SECONDS = 10.0


def main() -> int:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        proc = subprocess.run([sys.executable, "-m", "vvdash", "lint"], cwd=ROOT, capture_output=True, text=True)
        times.append(time.perf_counter() - start)
        if proc.returncode != 0:
            print(proc.stdout + proc.stderr, file=sys.stderr)
            return 1
    summary = proc.stdout.strip().splitlines()[-1]
    median = statistics.median(times)
    print(f"lint: {summary}; runs {', '.join(f'{t:.2f}' for t in times)} s; "
          f"median {median:.2f} s (target <= {TARGET_SECONDS:.0f} s) -> {'OK' if median <= TARGET_SECONDS else 'SLOW'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
