"""Full `python -m vvdash build` as a whole process: median wall time of 5 runs (target <= 1.5 s).

Usage: .venv/bin/python benchmarks/bench_build.py [RUNS]
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET_SECONDS = 1.5


def main() -> int:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    times = []
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "generated"
        for _ in range(runs):
            if out.exists():  # every run is a full build from scratch
                subprocess.run(["rm", "-rf", str(out)], check=True)
            start = time.perf_counter()
            proc = subprocess.run([sys.executable, "-m", "vvdash", "build", "--out", str(out)], cwd=ROOT,
                                  capture_output=True, text=True)
            times.append(time.perf_counter() - start)
            if proc.returncode != 0:
                print(proc.stderr, file=sys.stderr)
                return 1
        files = sum(1 for p in out.rglob("*") if p.is_file())
    median = statistics.median(times)
    print(f"build: {files} files; runs {', '.join(f'{t:.3f}' for t in times)} s; "
          f"median {median:.3f} s (target <= {TARGET_SECONDS} s) -> {'OK' if median <= TARGET_SECONDS else 'SLOW'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
