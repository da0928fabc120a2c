"""tv_scheduler: one run over N signed loglines and 2 TVs, first run (verify all) and a later run (cached).

Usage: .venv/bin/python benchmarks/bench_tv_scheduler.py [LOGLINES]   (default 5000)
"""

from __future__ import annotations

import sys
import tempfile
import time
from datetime import datetime, timedelta, UTC
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from prometheus_client import CollectorRegistry  # noqa: E402

from pipeline.signing import sign  # noqa: E402
from pipeline.storage import Storage  # noqa: E402
from pipeline.tv_scheduler import Scheduler  # noqa: E402

KEY = b"benchmark-key"


def main() -> int:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
    now = datetime.now(UTC)
    with tempfile.TemporaryDirectory() as tmp:
        storage = Storage(Path(tmp)).ensure()
        for i in range(n):
            vid = f"{i:024x}"
            (storage.processed / f"v{i}.mp4").write_bytes(b"")
            rec = {"schema": "vv.logline/1", "video_id": vid, "video": f"v{i}.mp4",
                   "created_at": (now - timedelta(minutes=i)).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
                   "duration_seconds": 10.0, "people": i % 4, "faces": i % 2, "activity": "low",
                   "tags": ["people"], "summary": f"Scene {i}.", "backend": "builtin"}
            storage.logline_path(vid).write_text(sign(rec, KEY) + "\n")
        tvs = [{"id": "tv1", "max_items": 20, "max_age_hours": 24},
               {"id": "tv2", "max_items": 10, "max_age_hours": 6, "min_people": 1}]
        sched = Scheduler(storage, tvs, KEY, CollectorRegistry())
        start = time.perf_counter()
        sched.run_once()
        first = time.perf_counter() - start
        start = time.perf_counter()
        sched.run_once()
        again = time.perf_counter() - start
    print(f"tv_scheduler: {n} loglines, 2 TVs; first run {first:.3f} s ({n / first:,.0f} lines/s verified), "
          f"later run {again:.3f} s (unchanged files not re-read)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
