"""`vvdash fleet up` end to end on real processes: three Thanos receivers (replication 3), a
querier, a ruler, an Alertmanager cluster of two and a few simulated sites (server and agent
Prometheus): every site's series arriving, the receiver the sites write to killed mid-ingestion
(samples counted), one site cut, and the fleet overview drawn in chromium over the querier. The
20-site run is benchmarks/bench_fleet.py; VVDASH_FLEET_SITES=N here as well.

Needs the thanos binary: `make fleet-tools` builds it from its Go module, and `make test` runs
that first. Run alone without the binary, these tests skip, saying so.
"""

from __future__ import annotations

import os
import shutil

import pytest

from vvdash.fleet_stack import checks
from dashboards.fleet import ROLLUP_COMPONENT
from shared.fleet import SITE_REPORTING as REPORTING
from shared.fleet import SITE_STORAGE_SECONDS_LEFT
from vvdash.fleet_stack.runtime import Fleet, thanos_binary, wait_until
from vvdash.generations import GENERATIONS

SITES = int(os.environ.get("VVDASH_FLEET_SITES", "3"))
GEN = GENERATIONS[3]

pytestmark = [
    pytest.mark.skipif(thanos_binary() is None,
                       reason="no thanos binary (.tools/thanos/thanos): `make fleet-tools` builds it from its Go "
                              "module (make test builds it first)"),
    pytest.mark.skipif(not GEN.has("prometheus", "prometheus-alertmanager"),
                       reason=f"no Prometheus 3 / Alertmanager from {GEN.source} (make setup)"),
]


@pytest.fixture(scope="module")
def fleet(tmp_path_factory):
    f = Fleet(tmp_path_factory.mktemp("fleet"))
    try:
        f.up(SITES)
        yield f
    finally:
        f.down()


def test_every_site_arrives_with_its_site_label(fleet):
    counts = checks.arrival(fleet)
    assert set(counts) >= set(fleet.ports.sites)
    assert all(counts[s] == checks.exposed_vv_series() for s in fleet.ports.sites)
    # The ruler's rollup the fleet dashboard reads: every site reporting.
    reporting = wait_until(lambda: {r["metric"]["site"] for r in fleet.query(f"{REPORTING} == 1")}
                           == set(fleet.ports.sites), 120, "every site reporting in the ruler's rollup")
    assert reporting


def test_killing_the_receiver_the_sites_write_to_loses_no_acknowledged_sample(fleet):
    checks.arrival(fleet)
    result = checks.kill_receiver(fleet, "receive-0")
    # It was the one taking the sites' writes; after it died another receiver took them.
    assert result.writes_before["receive-0"] > 0, result
    assert "receive-0" not in result.writes_after and sum(result.writes_after.values()) > 0, result
    assert result.local and result.local == result.store, result
    # Every site, agents too, by its own remote-write counters: nothing given up on, all acknowledged.
    assert set(result.acked) == set(fleet.groups) and all(n > 0 for n in result.acked.values()), result
    assert not any(result.failed.values()), result
    assert all(n > 0 for n in result.local.values())
    assert result.queries_failed == 0 and result.queries_answered > 0, result


def test_cutting_one_site_fires_site_silent_for_it_alone(fleet):
    site = "site-01"                       # a server site: its local alerts keep firing during the cut
    result = checks.cut_site(fleet, site)
    assert result.silent_sites == {site}, result
    assert result.silent_after_s <= result.bound_s + 5, result     # polling and a reload's own delay
    assert result.local_alert_during_cut and result.in_alertmanager, result
    assert result.cut_samples_local > 0 and result.cut_samples_store == result.cut_samples_local, result


@pytest.mark.skipif(shutil.which("chromium") is None, reason="Debian's chromium is installed by `make setup`")
def test_fleet_overview_in_a_browser_draws_every_site(fleet, tmp_path):
    checks.arrival(fleet)
    sites = set(fleet.ports.sites)
    wait_until(lambda: {r["metric"]["site"] for r in fleet.query(f"{REPORTING} == 1")} == sites, 120,
               "every site reporting in the ruler's rollup")
    # Every rollup the overview reads, for every site, with a few evaluations behind it (but storage
    # time left: empty while a site's storage is not filling, as the simulated ones are not).
    drawn = [record for record in ROLLUP_COMPONENT if record != SITE_STORAGE_SECONDS_LEFT]
    wait_until(lambda: all({r["metric"].get("site") for r in fleet.query(f"count_over_time({record}[1m]) >= 3")} >= sites
                           for record in drawn), 120, "every rollup for every site")
    page = checks.overview_in_browser(fleet, tmp_path / "dashboards")
    assert page.console_errors == [] and page.notes == [], page
    # Every panel drawn with data: none says "No data" or failed.
    assert page.states and set(page.states.values()) == {"data"}, {t: s for t, s in page.states.items() if s != "data"}
    # The sites table: one row per site, each reporting, with its two DVRs connected.
    assert sorted(r["site"] for r in page.table) == sorted(sites), page.table
    assert {r["Reporting"] for r in page.table} == {"Reporting"}, page.table
    assert {r["DVRs connected"] for r in page.table} == {"2"} and {r["DVRs"] for r in page.table} == {"2"}, page.table
    assert all(r["Input backlog"] and r["Error ratio"] for r in page.table), page.table
    assert page.stats["Sites reporting"] == len(sites) and page.stats["Sites silent"] == 0, page.stats
