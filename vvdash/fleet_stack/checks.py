"""What a running fleet must show, measured (the end-to-end test and benchmarks/bench_fleet.py).

- arrival: every site's series reach the store with their `site`, as many as the site exposes;
- the receiver the sites write to killed during ingestion (it holds a replica of every series
  too): the sites' writes move to another receiver, no sample a site had acknowledged is missing
  from the store (counted against the server sites' own TSDBs over the same window), queries answer;
- one site's remote write cut: the ruler's VVFleetSiteSilent fires for that site only, the
  site's own VVDvrDisconnected fires at the site meanwhile, and both clear once restored.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import requests

from vvdash.errors import VVError
from vvdash.fleet_stack import measured
from vvdash.fleet_stack.runtime import Fleet, wait_until
from vvdash.fleet_stack.sim_exporter import exposed
from vvdash.inventory import duration_seconds
from vvdash.inventory import fleet as fleet_inv
from vvdash.jobs import JOB

HEARTBEAT = f'up{{job="{JOB["prometheus"]}"}}'
VV_SERIES = '{__name__=~"vv_.+"}'
LOCAL_ALERT = "VVDvrDisconnected"
SILENT = "VVFleetSiteSilent"


def exposed_vv_series(fleet: Fleet | None = None) -> int:
    """The vv_ series one simulated site exposes (the write relabelling keeps every one)."""
    captured = measured.load(fleet.profile) if fleet is not None and fleet.profile else None
    return sum(1 for s in exposed("x", captured) if s.name.startswith("vv_"))


def arrival(fleet: Fleet, timeout: float = 180) -> dict[str, int]:
    """Wait until every site's vv_ series are all in the store; {site: series in the store}."""
    want = exposed_vv_series(fleet)
    sites = set(fleet.ports.sites)

    def counts():
        got = {r["metric"]["site"]: int(float(r["value"][1]))      # (the ruler's fleet-wide records have none)
               for r in fleet.query(f"count by (site) ({VV_SERIES})") if "site" in r["metric"]}
        return got if set(got) >= sites and all(got[s] == want for s in sites) else None
    return wait_until(counts, timeout, f"all {len(sites)} sites' {want} vv_ series each in the store", every=2)


def silent_sites(fleet: Fleet) -> set[str]:
    return {a["labels"].get("site") for a in fleet.ruler_alerts()
            if a["labels"].get("alertname") == SILENT and a["state"] == "firing"}


def local_firing(fleet: Fleet, site: str, alert: str = LOCAL_ALERT) -> bool:
    return any(a["labels"].get("alertname") == alert and a["state"] == "firing"
               for a in fleet.site_api(site, "/api/v1/alerts")["alerts"])


@dataclass
class KillResult:
    receiver: str
    window_s: float = 0.0
    local: dict[str, int] = field(default_factory=dict)      # server site -> samples in its own TSDB
    store: dict[str, int] = field(default_factory=dict)      # the same site -> samples in the store
    queries_answered: int = 0
    queries_failed: int = 0
    writes_before: dict[str, int] = field(default_factory=dict)   # receiver -> writes it acknowledged before the kill
    writes_after: dict[str, int] = field(default_factory=dict)    # ... and after it, the survivors
    # Every site's Prometheus (agents too), by its own remote-write counters over the window:
    acked: dict[str, int] = field(default_factory=dict)      # samples the store acknowledged
    retried: dict[str, int] = field(default_factory=dict)    # samples sent again after a failed attempt
    failed: dict[str, int] = field(default_factory=dict)     # samples given up on (lost)


def acknowledged_writes(fleet: Fleet) -> dict[str, int]:
    """{receiver: remote-write requests it answered 2xx}, from each live receiver's own metrics."""
    out = {}
    for i, port in enumerate(fleet.ports.receive_http):
        name = f"receive-{i}"
        if name in fleet.procs and not fleet.procs[name].alive():
            continue
        text = requests.get(f"http://127.0.0.1:{port}/metrics", timeout=10).text
        out[name] = sum(int(float(line.rsplit(" ", 1)[1])) for line in text.splitlines()
                        if line.startswith("http_requests_total{") and 'handler="receive"' in line
                        and 'code="2' in line)
    return out


REMOTE_WRITE = {"total": "prometheus_remote_storage_samples_total", "retried": "prometheus_remote_storage_samples_retried_total",
                "failed": "prometheus_remote_storage_samples_failed_total"}


def remote_write_counters(fleet: Fleet) -> dict[str, dict[str, float]]:
    """{site Prometheus: {total, retried, failed}} from each site Prometheus's own metrics: every
    attempt counts in total, each retry in retried, what it gave up on in failed, so an
    acknowledged sample is total - retried - failed."""
    out = {}
    for leader in fleet.groups:
        text = requests.get(f"http://127.0.0.1:{fleet.ports.sites[leader]}/metrics", timeout=10).text
        out[leader] = {key: sum(float(line.rsplit(" ", 1)[1]) for line in text.splitlines()
                                if line.startswith(name + "{")) for key, name in REMOTE_WRITE.items()}
    return out


def kill_receiver(fleet: Fleet, receiver: str = "receive-0", before: float = 6, after: float = 12) -> KillResult:
    """SIGKILL one receiver (by default the one the sites write to) mid-ingestion; count the
    samples of the window around it, site by site, and the writes each receiver took."""
    t0 = time.time()
    start = acknowledged_writes(fleet)
    counters = remote_write_counters(fleet)
    time.sleep(before)
    result = KillResult(receiver)
    at_kill = acknowledged_writes(fleet)
    result.writes_before = {r: at_kill[r] - start.get(r, 0) for r in at_kill}
    fleet.kill(receiver)
    sites = len(fleet.ports.sites)
    end = time.monotonic() + after
    while time.monotonic() < end:
        try:
            got = fleet.query(f"count(group by (site) ({HEARTBEAT}))")
            ok = bool(got) and int(float(got[0]["value"][1])) == sites
            result.queries_answered += ok
            result.queries_failed += not ok
        except Exception:  # noqa: BLE001  (a refused query is what is counted here)
            result.queries_failed += 1
        time.sleep(1)
    t1 = time.time()
    result.writes_after = {r: n - at_kill.get(r, 0) for r, n in acknowledged_writes(fleet).items()}
    servers = [s for s in fleet.ports.sites if fleet_inv.mode(fleet.inv.site(s)) == "server"]

    result.window_s = int(t1 - t0)
    result.local, result.store = count_samples(fleet, servers, t0, t1)
    for leader, now in remote_write_counters(fleet).items():
        d = {k: int(now[k] - counters[leader][k]) for k in REMOTE_WRITE}
        result.acked[leader], result.retried[leader] = d["total"] - d["retried"] - d["failed"], d["retried"]
        result.failed[leader] = d["failed"]
    return result


def count_samples(fleet: Fleet, sites: list[str], t0: float, t1: float) -> tuple[dict, dict]:
    """vv_ samples of (t1 - t0, t1] per server site: in its own TSDB and in the store, once the
    store has acknowledged the site's samples past t1. Raw samples (a range selector answers them
    as stored; count_over_time would merge series that differ only by name), counted here."""
    def acknowledged():
        return all(float(fleet.site_query(s, "max(prometheus_remote_storage_queue_highest_sent_timestamp_seconds)")
                         [0]["value"][1]) >= t1 for s in sites)
    wait_until(acknowledged, 120, "the store acknowledging the sites' samples past the window")
    window = f"{int(t1 - t0)}s"
    local = {s: _samples(fleet.site_query(s, f"{VV_SERIES}[{window}]", at=t1)) for s in sites}
    store = {s: _samples(fleet.query(f'{{__name__=~"vv_.+", site="{s}"}}[{window}]', at=t1)) for s in sites}
    return local, store


def _samples(matrix: list[dict]) -> int:
    return sum(len(series["values"]) for series in matrix)


@dataclass
class CutResult:
    site: str
    bound_s: float
    silent_after_s: float = 0.0             # from the cut to VVFleetSiteSilent firing
    silent_sites: set[str] = field(default_factory=set)
    local_alert_during_cut: bool = False
    in_alertmanager: bool = False
    cleared_after_s: float = 0.0            # from the restore until both cleared
    cut_samples_local: int = 0              # the site's samples over the cut, in its own TSDB ...
    cut_samples_store: int = 0              # ... and in the store once the link is back


def cut_site(fleet: Fleet, site: str) -> CutResult:
    inv = fleet.inv
    ev = duration_seconds(inv["prometheus"]["evaluation_interval"])
    scrape = duration_seconds(inv["prometheus"]["scrape_interval"])
    # From the cut: the last sample may be a scrape old, then silent_after of nothing, then the
    # alert's `for`, then the evaluation that sees it (one more for the ruler's query round trip).
    bound = (scrape + duration_seconds(inv["fleet"]["silent_after"]) + duration_seconds(inv["fleet"]["silent_for"])
             + 2 * ev)
    result = CutResult(site, bound)
    wait_until(lambda: not silent_sites(fleet), 120, "no site silent before the cut")
    fleet.set_dvr(site, "dvr1", up=False)              # something only the site sees
    cut, cut_wall = time.monotonic(), time.time()
    fleet.set_remote_write(site, on=False)
    silent = wait_until(lambda: silent_sites(fleet), bound + 60, f"{SILENT} for {site}", every=0.5)
    result.silent_after_s = round(time.monotonic() - cut, 1)
    result.silent_sites = silent
    result.local_alert_during_cut = bool(wait_until(lambda: local_firing(fleet, site), 60,
                                                    f"{LOCAL_ALERT} firing at {site} during the cut"))
    result.in_alertmanager = bool(wait_until(
        lambda: any(a["labels"].get("alertname") == SILENT and a["labels"].get("site") == site
                    for i in (0, 1) for a in fleet.alertmanager_alerts(i)), 60, f"{SILENT} in the Alertmanager cluster"))
    result.silent_sites = silent_sites(fleet)          # still only that site, after all the waiting
    fleet.set_dvr(site, "dvr1", up=True)
    back = time.monotonic()
    fleet.set_remote_write(site, on=True)
    wait_until(lambda: site not in silent_sites(fleet) and not local_firing(fleet, site), 120,
               f"{SILENT} and {LOCAL_ALERT} clearing for {site}", every=0.5)
    result.cleared_after_s = round(time.monotonic() - back, 1)
    # What the site buffered during the cut reaches the store after it.
    local, store = count_samples(fleet, [site], cut_wall - 2, time.time())
    result.cut_samples_local, result.cut_samples_store = local[site], store[site]
    return result


def overview_model(project) -> dict:
    """The fleet overview's Grafana model, as the build writes it for this inventory."""
    found = next((d for d in project.dashboards if d.module.rsplit(".", 1)[-1] == "fleet"), None)
    if found is None:
        raise VVError("fleet: the inventory's project has no fleet overview dashboard (dashboards/fleet.py)")
    return found.model


@dataclass
class OverviewPage:
    states: dict[str, str]                   # panel title -> the page's state (data, nodata, error)
    table: list[dict[str, str]]              # the sites table's rows as drawn, by column heading
    stats: dict[str, float]                  # stat title -> the value drawn
    notes: list[str] = field(default_factory=list)   # what the page said it does not draw
    console_errors: list[str] = field(default_factory=list)


def overview_in_browser(fleet: Fleet, folder, span: str = "now-5m", screenshot=None) -> OverviewPage:
    """The fleet overview as a browser draws it over the fleet's querier."""
    return draw_overview(overview_model(fleet.project), f"http://127.0.0.1:{fleet.ports.query_http}", folder,
                         span, screenshot)


def draw_overview(model: dict, query_url: str, folder, span: str = "now-5m", screenshot=None) -> OverviewPage:
    """The fleet overview as a browser draws it: the preview (Grafana's stand-in) over `query_url`
    (a Thanos querier, or a Prometheus evaluating the ruler's rules), opened in Debian's chromium;
    what every panel shows (and a PNG of the page to `screenshot`, if given)."""
    import json  # noqa: PLC0415

    from vvdash.preview.browser import browser_context, open_dashboard  # noqa: PLC0415
    from vvdash.preview.server import PreviewServer  # noqa: PLC0415

    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{model['uid']}.json").write_text(json.dumps(model))
    with PreviewServer(folder, query_url) as server, browser_context() as ctx:
        page = ctx.new_page()
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        report = open_dashboard(page, f"{server.url}/d/{model['uid']}?from={span}&to=now")
        titles = {str(p["id"]): p["title"] for p in model["panels"]}
        states = {titles[str(pid)]: p["state"] for pid, p in report["panels"].items()}
        rows = page.locator('.panel[data-title="Sites"] table tr').all()
        head = [c.inner_text() for c in rows[0].locator("th").all()] if rows else []
        table = [dict(zip(head, (c.inner_text() for c in r.locator("td").all()), strict=False)) for r in rows[1:]]
        stats = {}
        for p in model["panels"]:
            if p["type"] == "stat":
                el = page.locator(f'.panel[data-title="{p["title"]}"] .stat-value').first
                stats[p["title"]] = float(el.get_attribute("data-value"))
        notes = [t for n in page.locator(".panel .panel-notes").all() if (t := n.inner_text().strip())]
        if screenshot:
            page.screenshot(path=str(screenshot), full_page=True)
        return OverviewPage(states, table, stats, notes, errors)
