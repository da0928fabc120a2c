"""The fleet overview drawn in a real browser without Thanos: a real Prometheus 3 scrapes the
test inventory's three simulated sites (vvdash/fleet_stack/sim_exporter.py, every series with its
`site`) and each site's heartbeat, evaluates the ruler's own rule file (generated/fleet/ruler/
fleet.yml: Thanos rule speaks Prometheus rule syntax), and the preview (Grafana's stand-in) over
it is opened in Debian's chromium. test_fleet_e2e.py draws it over the Thanos querier as well.
"""

from __future__ import annotations

import json
import shutil
import sys

import pytest

from shared.fleet import SITE_BACKLOG, SITE_DVRS, SITE_REPORTING
from vvdash.fleet_stack import checks
from vvdash.fleet_stack.runtime import wait_until
from vvdash.generations import GENERATIONS
from vvdash.inventory import load
from vvdash.jobs import JOB
from vvdash.procs import Process, free_port, wait_http

GEN = GENERATIONS[3]
pytestmark = [
    pytest.mark.skipif(not GEN.has("prometheus"), reason=f"no Prometheus 3 from {GEN.source} (make setup)"),
    pytest.mark.skipif(shutil.which("chromium") is None, reason="Debian's chromium is installed by `make setup`"),
]


@pytest.fixture(scope="module")
def prometheus(fleet_out, fleet_inventory, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("overview")
    sites = [s["name"] for s in load(fleet_inventory).sites]
    exporters = {s: free_port() for s in sites}
    (tmp / "exporters.json").write_text(json.dumps({"exporters": exporters}))
    port = free_port()
    (tmp / "prometheus.yml").write_text(json.dumps({
        "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
        "rule_files": [str(fleet_out / "fleet" / "ruler" / "fleet.yml")],
        "scrape_configs": [
            {"job_name": "site", "honor_labels": True,
             "static_configs": [{"targets": [f"127.0.0.1:{p}" for p in exporters.values()]}]},
            # Each site's heartbeat: its Prometheus's own `up`, with the site's label.
            {"job_name": JOB["prometheus"],
             "static_configs": [{"targets": [f"127.0.0.1:{port}"], "labels": {"site": s}} for s in sites]}]}))
    procs = [Process("exporters", [sys.executable, "-m", "vvdash.fleet_stack.sim_exporter", str(tmp / "exporters.json")],
                     tmp / "exporters.log").start(),
             Process("prometheus", [GEN.require("prometheus"), f"--config.file={tmp / 'prometheus.yml'}",
                                    f"--storage.tsdb.path={tmp / 'data'}", f"--web.listen-address=127.0.0.1:{port}"],
                     tmp / "prometheus.log").start()]
    try:
        url = f"http://127.0.0.1:{port}"
        wait_http(f"{url}/-/ready", timeout=60, proc=procs[-1].popen)
        yield {"url": url, "sites": set(sites), "tmp": tmp}
    finally:
        for p in reversed(procs):
            p.stop()


def _sites_with(url: str, expr: str) -> set[str]:
    import requests  # noqa: PLC0415

    r = requests.get(f"{url}/api/v1/query", params={"query": expr}, timeout=10).json()["data"]["result"]
    return {s["metric"].get("site") for s in r}


def test_fleet_overview_in_a_browser_draws_every_site(prometheus, fleet_out):
    url, sites = prometheus["url"], prometheus["sites"]
    # A few evaluations of the rollups the page draws, for every site.
    for record in (SITE_REPORTING, SITE_BACKLOG, SITE_DVRS):
        wait_until(lambda r=record: _sites_with(url, f"count_over_time({r}[1m]) >= 3") >= sites, 90,
                   f"{record} for every site")
    model = json.loads((fleet_out / "dashboards" / "vv-fleet.json").read_text())
    page = checks.draw_overview(model, url, prometheus["tmp"] / "dashboards")
    assert page.console_errors == [] and page.notes == [], page
    assert page.states and set(page.states.values()) == {"data"}, {t: s for t, s in page.states.items() if s != "data"}
    # One row per site, each with the reporting mapping, its backlog and its two DVRs.
    assert sorted(r["site"] for r in page.table) == sorted(sites), page.table
    assert {r["Reporting"] for r in page.table} == {"Reporting"}, page.table
    assert {r["DVRs"] for r in page.table} == {"2"} and {r["DVRs connected"] for r in page.table} == {"2"}, page.table
    assert all(r["Input backlog"] for r in page.table), page.table
    assert page.stats["Sites reporting"] == len(sites) and page.stats["Sites silent"] == 0, page.stats
    assert page.stats["DVRs connected"] == 2 * len(sites), page.stats
