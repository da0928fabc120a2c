"""The fleet with SITES simulated sites (default 20) on this machine, as the end-to-end test runs
it with 3: arrival of every site's series, a receiver killed mid-ingestion (samples counted),
one site's remote write cut (VVFleetSiteSilent latency, the site's local alert), then the
store's CPU and memory and the fleet overview's query time over the run.

With PER_PROMETHEUS > 1 (the 200-site ingestion run), each Prometheus agent scrapes that many
sites' exporters (every series keeps its own `site`), so 200 sites need not be 200 processes;
the kill and cut steps, which need a Prometheus per site, are left out then.

Needs .tools/thanos/thanos (`make fleet-tools`).

With PROFILE (a capture by benchmarks/bench_fleet_site_series.py), every simulated site exposes
the series the running pipeline did, instead of the catalog's estimate.

Usage: .venv/bin/python benchmarks/bench_fleet.py [SITES [PER_PROMETHEUS [INTERVAL [SOAK_SECONDS [PROFILE]]]]]
       e.g. bench_fleet.py 20          bench_fleet.py 200 10 15s 300 .cache/fleet/site-series.json
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import requests  # noqa: E402

from vvdash.fleet_stack import checks, measured  # noqa: E402
from vvdash.fleet_stack.runtime import Fleet, require_thanos  # noqa: E402

CLOCK_TICKS = 100


def _proc_usage(pid: int) -> tuple[float, int]:
    """(CPU seconds, resident bytes) of a process."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    cpu = (int(fields[11]) + int(fields[12])) / CLOCK_TICKS
    rss = int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * 4096
    return cpu, rss


def _dashboard_queries(fleet: Fleet) -> list[str]:
    model = json.loads((fleet.workdir / "fleet-dashboard.json").read_text())
    out = []
    for panel in model["panels"]:
        for t in panel.get("targets", []):
            out.append(t["expr"].replace("$site", ".+").replace("$job", ".+").replace("$instance", ".+")
                       .replace("$__rate_interval", "1m"))
    return out


def _kill_and_cut(fleet: Fleet) -> None:
    kill = checks.kill_receiver(fleet)
    lost = {s: kill.local[s] - kill.store[s] for s in kill.local}
    print(f"{kill.receiver} killed (remote-write requests acknowledged before: {kill.writes_before}, after: "
          f"{kill.writes_after}): {sum(kill.local.values())} samples at {len(kill.local)} server sites over "
          f"{kill.window_s}s, {sum(kill.store.values())} in the store, lost {sum(lost.values())}; "
          f"queries {kill.queries_answered} answered, {kill.queries_failed} failed; all {len(kill.acked)} site Prometheus "
          f"(agents too), by their remote-write counters: {sum(kill.acked.values())} samples acknowledged, "
          f"{sum(kill.retried.values())} retried, {sum(kill.failed.values())} given up on")
    cut = checks.cut_site(fleet, "site-01")
    print(f"cut site-01: VVFleetSiteSilent after {cut.silent_after_s}s (bound {cut.bound_s:.0f}s), sites "
          f"silent {sorted(cut.silent_sites)}, local alert during the cut {cut.local_alert_during_cut}, "
          f"cleared {cut.cleared_after_s}s after the restore; samples over the cut: {cut.cut_samples_local} at the "
          f"site, {cut.cut_samples_store} in the store once the link was back")


def _store_and_overview(fleet: Fleet, sites: int, span: float) -> None:
    for name, proc in fleet.procs.items():
        if name.startswith(("receive", "query", "rule")) and proc.alive():
            cpu, rss = _proc_usage(proc.pid)
            print(f"{name}: {cpu:.1f} CPU s over {span:.0f}s, {rss / 2**20:.0f} MiB resident")
    (fleet.workdir / "fleet-dashboard.json").write_text(json.dumps(checks.overview_model(fleet.project)))
    total = 0.0
    for expr in _dashboard_queries(fleet):
        t = time.monotonic()
        r = requests.get(f"http://127.0.0.1:{fleet.ports.query_http}/api/v1/query_range",
                         params={"query": expr, "start": time.time() - span, "end": time.time(),
                                 "step": "15", "dedup": "true"}, timeout=120)
        r.raise_for_status()
        total += time.monotonic() - t
    print(f"fleet overview: every panel's query over the run ({span:.0f}s): {total * 1000:.0f} ms in all")
    model = json.loads((fleet.workdir / "fleet-dashboard.json").read_text())
    stat = next(p for p in model["panels"] if p["title"] == "Sites reporting")["targets"][0]["expr"]
    shown = fleet.query(stat.replace("$site", ".+").replace("$job", ".+"))
    print(f"fleet overview 'Sites reporting': {shown[0]['value'][1] if shown else 'no value'} of {sites}")
    shot = Path(tempfile.gettempdir()) / f"bench-fleet-overview-{sites}.png"
    page = checks.overview_in_browser(fleet, fleet.workdir / "browser", screenshot=shot)
    states = {s: sum(1 for v in page.states.values() if v == s) for s in sorted(set(page.states.values()))}
    print(f"fleet overview in chromium: panels {states}; sites table {len(page.table)} rows "
          f"({sum(1 for r in page.table if r.get('Reporting') == 'Reporting')} reporting); stats {page.stats}; "
          f"notes {page.notes}; console errors {page.console_errors}; page {shot}")


def main(argv: list[str]) -> int:
    sites = int(argv[0]) if argv else 20
    per = int(argv[1]) if len(argv) > 1 else 1
    interval = argv[2] if len(argv) > 2 else "2s"
    soak = float(argv[3]) if len(argv) > 3 else 0.0
    profile = Path(argv[4]).resolve() if len(argv) > 4 else None
    require_thanos()
    with tempfile.TemporaryDirectory(prefix="bench-fleet-") as tmp:
        fleet = Fleet(Path(tmp), interval=interval, per_prometheus=per, profile=profile)
        if profile:
            n = len(measured.load(profile)["series"])
            print(f"every site exposes the {n} series captured in {profile} ({checks.exposed_vv_series(fleet)} vv_)")
        started = time.monotonic()
        try:
            fleet.up(sites)
            print(f"up: {time.monotonic() - started:.1f}s for {sites} sites, {len(fleet.groups)} Prometheus", flush=True)
            t = time.monotonic()
            counts = checks.arrival(fleet, timeout=600)
            print(f"arrival: {len(counts)} sites, {sum(counts.values())} vv_ series, all in {time.monotonic() - t:.1f}s",
                  flush=True)
            if soak:
                time.sleep(soak)
                print(f"soak: {soak:.0f}s of ingestion at a {interval} scrape interval")
            if per == 1:
                _kill_and_cut(fleet)
            _store_and_overview(fleet, sites, time.monotonic() - started)
        finally:
            fleet.down()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
