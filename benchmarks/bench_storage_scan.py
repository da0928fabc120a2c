"""Storage scan and cleanup planning over a synthetic VIDEO_STORAGE_ROOT.

Measures what storage_exporter does every refresh_seconds (one walk of the root) and what
cleanup_old_files does once per run (open-file check via /proc, plan). Median of 5 runs.

Usage: .venv/bin/python benchmarks/bench_storage_scan.py [FILES]   (default 20000 files)
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pipeline.cleanup_old_files import Policy, held_files, make_plan  # noqa: E402
from pipeline.storage_exporter import usage  # noqa: E402

FOLDERS = ("processed", "loglines", "analytics", "summaries", "logs")
RUNS = 5


def populate(root: Path, files: int) -> None:
    now = time.time()
    for i in range(files):
        folder = root / FOLDERS[i % len(FOLDERS)] / f"day{i % 30:02d}"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"f{i:06d}.bin"
        path.write_bytes(b"x" * (i % 512))
        t = now - (i % 40) * 86400
        os.utime(path, (t, t))


def median_time(fn) -> float:
    times = []
    for _ in range(RUNS):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> int:
    files = int(sys.argv[1]) if len(sys.argv) > 1 else 20000
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        populate(root, files)
        scan = median_time(lambda: usage(root))
        held = median_time(held_files)
        policy = Policy(14 * 86400, 10**12, 5)
        plan_t = median_time(lambda: make_plan(root, policy))
        planned = len(make_plan(root, policy).delete)
    print(f"storage scan: {files} files, median {scan * 1000:.1f} ms ({files / scan:,.0f} files/s)")
    print(f"open-file check (/proc/*/fd): median {held * 1000:.1f} ms")
    print(f"cleanup plan incl. open-file check: median {plan_t * 1000:.1f} ms, {planned} files planned")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
