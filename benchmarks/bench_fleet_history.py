"""The fleet overview over a day: SITES sites' ruler records (default 200) for HOURS (default 24)
at the ruler's STEP (default 15 s, the inventory's evaluation interval) backfilled with promtool
into a filesystem bucket, served by a Thanos store gateway behind a Thanos querier, and every
overview panel's query sent as Grafana's page sends it (the preview's query endpoint: Grafana's
step for the panel's width, variables at All), ROUNDS times; the querier's own time per panel.
Also the store gateway's and querier's CPU and memory. tests/fleet/test_fleet_history.py is the
small version (3 sites, 2 h).

Needs .tools/thanos/thanos (`make fleet-tools`) and promtool 3 (make setup).

Usage: .venv/bin/python benchmarks/bench_fleet_history.py [SITES [HOURS [STEP [ROUNDS]]]]
"""

from __future__ import annotations

import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import requests  # noqa: E402
import yaml  # noqa: E402

from vvdash.fleet_stack import checks, history  # noqa: E402
from vvdash.fleet_stack.runtime import Ports, render_inventory, require_thanos, site_names, wait_until  # noqa: E402
from vvdash.generations import GENERATIONS  # noqa: E402
from vvdash.inventory import load  # noqa: E402
from vvdash.preview.server import PreviewServer  # noqa: E402
from vvdash.project import load_project  # noqa: E402

CLOCK_TICKS = 100


def _usage(pid: int) -> tuple[float, int]:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS, int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * 4096


def main(argv: list[str]) -> int:
    sites = int(argv[0]) if argv else 200
    hours = float(argv[1]) if len(argv) > 1 else 24
    step = int(argv[2]) if len(argv) > 2 else 15
    rounds = int(argv[3]) if len(argv) > 3 else 3
    thanos, promtool = require_thanos(), GENERATIONS[3].require("promtool")
    names = site_names(sites)
    with tempfile.TemporaryDirectory(prefix="bench-fleet-history-") as tmp:
        work = Path(tmp)
        inv_path = work / "vvdash.yaml"

        # The fleet's inventory with these sites (the dashboard counts them); nothing listens on its ports.
        inv_path.write_text(yaml.safe_dump(render_inventory(load(None), work, names, Ports.pick(names)), sort_keys=False))
        model = checks.overview_model(load_project(inv_path))
        reporting = next(n for n, _lb, site in history.read_series(model) if site and "reporting" in n)
        (work / "dashboards").mkdir()
        (work / "dashboards" / "vv-fleet.json").write_text(json.dumps(model))

        end = int(time.time()) // step * step
        start = int(end - hours * 3600)
        t = time.monotonic()
        samples = history.write_openmetrics(work / "records.om", model, names, start, end, step)
        size = (work / "records.om").stat().st_size
        print(f"openmetrics: {samples:,} samples ({size / 2**20:.0f} MiB) of {sites} sites over {hours:g} h every "
              f"{step}s in {time.monotonic() - t:.1f}s", flush=True)
        t = time.monotonic()
        blocks = history.create_blocks(promtool, work / "records.om", work / "bucket")
        (work / "records.om").unlink()
        disk = sum(f.stat().st_size for f in (work / "bucket").rglob("*") if f.is_file())
        print(f"promtool create-blocks-from openmetrics: {len(blocks)} blocks, {disk / 2**20:.1f} MiB, in "
              f"{time.monotonic() - t:.1f}s", flush=True)
        store = history.HistoryStore(thanos, work / "bucket", work)
        t = time.monotonic()
        store.up()
        try:
            def served():
                r = requests.get(f"{store.url}/api/v1/query", params={"query": f"count({reporting})", "time": end},
                                 timeout=60).json()["data"]["result"]
                return r and int(float(r[0]["value"][1])) == sites
            wait_until(served, 600, f"the store serving all {sites} sites")
            print(f"store gateway + querier up and serving in {time.monotonic() - t:.1f}s", flush=True)
            server = PreviewServer(work / "dashboards", store.url)
            cpu0 = {n: _usage(p.pid)[0] for n, p in store.procs.items()}
            per_panel: dict[str, list[float]] = {}
            walls = []
            for _ in range(rounds):
                round_start = time.monotonic()
                for title, body in history.panel_requests(model, start * 1000, end * 1000):
                    answers = server.query(body)["results"]
                    bad = {r: a["error"] for r, a in answers.items() if "error" in a}
                    if bad:
                        raise SystemExit(f"{title}: {bad}")
                    per_panel.setdefault(title, []).append(sum(a["prometheus_ms"] for a in answers.values()))
                walls.append(time.monotonic() - round_start)
            for title, ms in per_panel.items():
                print(f"  {title}: {statistics.median(ms):.0f} ms (median of {rounds})")
            total = sum(statistics.median(ms) for ms in per_panel.values())
            print(f"fleet overview over {hours:g} h, {sites} sites: every panel's queries {total:.0f} ms of querier time "
                  f"(medians summed); whole page sequentially {statistics.median(walls) * 1000:.0f} ms wall (median)")
            for n, p in store.procs.items():
                cpu, rss = _usage(p.pid)
                print(f"{n}: {cpu - cpu0[n]:.1f} CPU s over the {rounds} rounds, {rss / 2**20:.0f} MiB resident")
        finally:
            store.down()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
