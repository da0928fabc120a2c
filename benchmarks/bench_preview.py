"""`vvdash preview`: page load to every panel drawn, per dashboard, on the demo's data.

Starts the local stack (demo profile) unless --workdir names a running one, lets it gather
WARMUP seconds of data, then loads each dashboard RUNS times in headless Chromium over its own
default time range. Per dashboard: the first load (cold browser cache: the chart library is
fetched and parsed), the median and worst of the others (from navigation start to the last
panel drawn, the page's own performance clock), when the variables were filled, the queries and
the Prometheus time they cost
(the sum of each Prometheus call's duration, variables, annotations and panels, as the preview
server timed it; the calls run in parallel, so the sum can exceed the wall time). Goal: <= 1.5 s per dashboard.

Usage: .venv/bin/python benchmarks/bench_preview.py [RUNS] [WARMUP_SECONDS] [--workdir DIR] [--from now-1h]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from vvdash.preview.browser import browser_context, open_dashboard  # noqa: E402
from vvdash.preview.dashboards import load_dir  # noqa: E402
from vvdash.stack.runner import Stack  # noqa: E402

GOAL_MS = 1500.0


def measure(preview_url: str, dashboards_dir: Path, runs: int, time_from: str | None) -> bool:
    dashboards = load_dir(dashboards_dir)
    query = f"?from={time_from}&to=now" if time_from else ""
    ok = True
    print(f"{'dashboard':16} {'panels':>6} {'cold ms':>8} {'median ms':>9} {'worst ms':>8} {'vars ms':>7} "
          f"{'queries':>7} {'prom ms':>8}  goal <= {GOAL_MS:.0f} ms")
    with browser_context() as context:
        for uid in sorted(dashboards):
            page = context.new_page()
            queries = []
            page.on("request", lambda r, queries=queries: queries.append(1) if r.url.endswith("/api/preview/query") else None)
            loads, prom, variables = [], [], []
            for _ in range(runs + 1):
                queries.clear()
                report = open_dashboard(page, f"{preview_url}{dashboards[uid].url}{query}")
                loads.append(report["drawnMs"])
                prom.append(report["prometheusMs"])
                variables.append(report["variablesMs"])
                bad = [p for p in report["panels"].values() if p["state"] not in ("data", "nodata")]
                if bad:
                    print(f"  {uid}: {len(bad)} panels in error: {bad[:2]}")
                    ok = False
            warm = loads[1:] or loads
            median = statistics.median(warm)
            met = max(warm) <= GOAL_MS
            ok &= met
            print(f"{uid:16} {len(report['panels']):6d} {loads[0]:8.0f} {median:9.0f} {max(warm):8.0f} "
                  f"{statistics.median(variables[1:] or variables):7.0f} "
                  f"{len(queries):7d} {statistics.median(prom):8.1f}  {'ok' if met else 'OVER'}")
            page.close()
    return ok


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("runs", nargs="?", type=int, default=3)
    ap.add_argument("warmup", nargs="?", type=float, default=60.0)
    ap.add_argument("--workdir", type=Path, help="a running stack's folder (default: start one)")
    ap.add_argument("--from", dest="time_from", help="time range instead of the dashboards' own, e.g. now-1h")
    args = ap.parse_args()
    if args.workdir:
        stack = Stack(args.workdir.resolve())
        stack.load_running()
        return 0 if measure(stack.url("grafana"), stack.workdir / "generated/dashboards", args.runs, args.time_from) else 1
    with tempfile.TemporaryDirectory() as tmp:
        stack = Stack(Path(tmp).resolve())
        try:
            stack.up(profile="demo", progress=lambda *_: None)
            print(f"stack up (demo profile); gathering {args.warmup:.0f}s of data", flush=True)
            time.sleep(args.warmup)
            ok = measure(stack.url("grafana"), stack.workdir / "generated/dashboards", args.runs, args.time_from)
        finally:
            stack.stop(progress=lambda *_: None)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
