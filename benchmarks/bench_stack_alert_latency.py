"""The local stack: time to come up, and DVR fault -> Alertmanager notification latency.

For each generation (3: Prometheus 3.5 + Alertmanager 0.33 from .tools; 2: Debian stable's 2.42 +
0.25), starts the stack with the test profile (1s scrape and evaluation, short `for`), then RUNS
times: stop the DVR simulator, time until the webhook receiver records VVDvrDisconnected firing,
restart it, time until the resolved notification. Prints each figure against the configured
`for` and intervals. The floor is `for` + about one scrape and one evaluation + group_wait.

Usage: .venv/bin/python benchmarks/bench_stack_alert_latency.py [RUNS] [PROFILE] [GENERATIONS, e.g. 3,2]
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from vvdash.inventory import duration_seconds  # noqa: E402
from vvdash.stack.runner import Stack  # noqa: E402
from vvdash.stack.webhook import read_notifications  # noqa: E402

ALERT = "VVDvrDisconnected"
WAIT_LIMIT = 180.0


def _count(stack: Stack, status: str) -> int:
    return sum(1 for r in read_notifications(stack.notifications) for a in r["payload"].get("alerts", [])
               if a["labels"].get("alertname") == ALERT and a["status"] == status)


def _wait_for(stack: Stack, status: str, before: int) -> float:
    deadline = time.monotonic() + WAIT_LIMIT
    while time.monotonic() < deadline:
        records = [r for r in read_notifications(stack.notifications)
                   for a in r["payload"].get("alerts", [])
                   if a["labels"].get("alertname") == ALERT and a["status"] == status]
        if len(records) > before:
            return records[-1]["received_at"]
        time.sleep(0.2)
    raise SystemExit(f"no {status} {ALERT} notification within {WAIT_LIMIT:.0f}s")


def main() -> int:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    profile = sys.argv[2] if len(sys.argv) > 2 else "test"
    generations = [int(g) for g in (sys.argv[3] if len(sys.argv) > 3 else "3,2").split(",")]
    for number in generations:
        bench(runs, profile, number)
    return 0


def bench(runs: int, profile: str, number: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        stack = Stack(Path(tmp).resolve())
        try:
            start = time.perf_counter()
            stack.up(profile=profile, progress=lambda *_: None, generation_number=number)
            tools = ", ".join(f"{b.removeprefix('prometheus-')} {stack.generation.version(b)}"
                              for b in ("prometheus", "prometheus-alertmanager"))
            up_seconds = time.perf_counter() - start
            inv = stack.inventory
            time.sleep(duration_seconds(inv["prometheus"]["scrape_interval"]) * 3)
            fire, resolve = [], []
            for _ in range(runs):
                before = _count(stack, "firing")
                t0 = time.time()
                stack.procs["dvr_simulator"].stop()
                fire.append(_wait_for(stack, "firing", before) - t0)
                before = _count(stack, "resolved")
                t1 = time.time()
                stack.start_part("dvr_simulator", progress=lambda *_: None)
                resolve.append(_wait_for(stack, "resolved", before) - t1)
        finally:
            stack.stop(progress=lambda *_: None)
    p, a, t = inv["prometheus"], inv["alerting"], inv["thresholds"]["dvr"]
    print(f"generation {number} ({tools}): stack up ({profile} profile): {up_seconds:.1f} s")
    print(f"config: for {t['disconnected_for']}, scrape {p['scrape_interval']}, evaluation "
          f"{p['evaluation_interval']}, group_wait {a['group_wait']}, group_interval {a['group_interval']}")
    print(f"DVR stopped -> {ALERT} firing at the webhook: {', '.join(f'{x:.1f}' for x in fire)} s; "
          f"median {statistics.median(fire):.1f} s")
    print(f"DVR restarted -> resolved at the webhook: {', '.join(f'{x:.1f}' for x in resolve)} s; "
          f"median {statistics.median(resolve):.1f} s")


if __name__ == "__main__":
    sys.exit(main())
