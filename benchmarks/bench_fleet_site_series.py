"""Series per site, measured from the running pipeline: the local stack (`vvdash stack up`, its
PROFILE, default demo) with the pipeline's real exporters, its Prometheus's series counted per
site and job (what a site's Prometheus makes itself left out) every 30 s for SECONDS (default
240; labelled series appear as the pipeline first meets their value), compared with the
catalog's estimate (vvdash/cost/series.py), and the last capture written to OUT for the fleet
benchmark: `bench_fleet.py 200 10 15s 240 OUT` simulates every site with those series.

Usage: .venv/bin/python benchmarks/bench_fleet_site_series.py [OUT [SECONDS [PROFILE]]]
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from vvdash.fleet_stack import measured  # noqa: E402
from vvdash.fleet_stack.runtime import wait_until  # noqa: E402
from vvdash.fleet_stack.sim_exporter import exposed  # noqa: E402
from vvdash.stack.runner import Stack  # noqa: E402


def main(argv: list[str]) -> int:
    out = Path(argv[0]) if argv else ROOT / ".cache" / "fleet" / "site-series.json"
    seconds = float(argv[1]) if len(argv) > 1 else 240
    profile = argv[2] if len(argv) > 2 else "demo"
    catalog = exposed("site")
    print(f"catalog estimate (vvdash/cost/series.py, as the fleet simulated it): {len(catalog)} series per site, "
          f"{sum(1 for s in catalog if s.name.startswith('vv_'))} vv_", flush=True)
    with tempfile.TemporaryDirectory(prefix="bench-site-series-") as tmp:
        stack = Stack(Path(tmp))
        started = time.monotonic()
        try:
            stack.up(profile=profile, progress=lambda *_: None)
            print(f"stack up ({profile}) in {time.monotonic() - started:.0f}s", flush=True)
            prom = stack.url("prometheus")
            wait_until(lambda: measured.capture(prom), 120, "the first series")
            deadline = time.monotonic() + seconds
            while True:
                captured = measured.capture(prom)
                vv = sum(1 for s in captured["series"] if s[0].startswith("vv_"))
                print(f"  +{time.monotonic() - started:.0f}s: site {captured['site']}: {len(captured['series'])} series "
                      f"({vv} vv_); sites {captured['per_site']}", flush=True)
                if time.monotonic() >= deadline:
                    break
                time.sleep(30)
            print("per job: " + ", ".join(f"{j} {n}" for j, n in sorted(captured["per_job"].items())))
        finally:
            stack.stop(progress=lambda *_: None)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(captured, indent=0))
    print(f"written {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
