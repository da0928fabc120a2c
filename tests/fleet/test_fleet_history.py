"""The fleet overview over hours of history: the ruler's records backfilled with promtool into a
filesystem bucket, served by a Thanos store gateway and querier, and every overview panel's
query sent as Grafana's page would (the preview's query endpoint: Grafana's step, interval and
variables). benchmarks/bench_fleet_history.py does the same for 200 sites over 24 h, timed.

Needs the thanos binary (`make fleet-tools`); skips, saying so, without it.
"""

from __future__ import annotations

import json
import time

import pytest

from shared import fleet as F
from vvdash.fleet_stack import history
from vvdash.fleet_stack.runtime import thanos_binary, wait_until
from vvdash.generations import GENERATIONS
from vvdash.inventory import load
from vvdash.preview import grafana_time
from vvdash.preview.server import PreviewServer

HOURS = 2
STEP = 15
GEN = GENERATIONS[3]

pytestmark = [
    pytest.mark.skipif(thanos_binary() is None,
                       reason="no thanos binary (.tools/thanos/thanos): `make fleet-tools` builds it from its Go "
                              "module (make test builds it first)"),
    pytest.mark.skipif(not GEN.has("promtool"), reason=f"no promtool 3 from {GEN.source} (make setup)"),
]


@pytest.fixture(scope="module")
def served(fleet_out, fleet_inventory, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("history")
    sites = [s["name"] for s in load(fleet_inventory).sites]
    end = int(time.time()) // STEP * STEP
    start = end - HOURS * 3600
    om = tmp / "records.om"
    model = json.loads((fleet_out / "dashboards" / "vv-fleet.json").read_text())
    samples = history.write_openmetrics(om, model, sites, start, end, STEP)
    blocks = history.create_blocks(GEN.require("promtool"), om, tmp / "bucket")
    store = history.HistoryStore(thanos_binary(), tmp / "bucket", tmp).up()
    try:
        wait_until(lambda: store_sites(store.url, F.SITE_REPORTING, end) == set(sites), 120, "the store serving the blocks")
        server = PreviewServer(fleet_out / "dashboards", store.url)
        yield {"server": server, "store": store, "sites": sites, "start": start, "end": end, "samples": samples,
               "blocks": blocks, "model": model}
    finally:
        store.down()


def store_sites(url: str, record: str, at: int) -> set[str]:
    import requests  # noqa: PLC0415

    r = requests.get(f"{url}/api/v1/query", params={"query": record, "time": at}, timeout=30)
    return {s["metric"].get("site") for s in r.json()["data"]["result"]}


def test_the_backfill_is_what_the_overview_reads(served):
    series = history.read_series(served["model"])
    per_site = {name for name, _labels, site in series if site}
    assert per_site == {F.SITE_REPORTING, F.SITE_BACKLOG, F.SITE_ERROR_RATIO, F.SITE_STORAGE_SECONDS_LEFT,
                        F.SITE_DVRS_CONNECTED, F.SITE_DVRS}
    assert {name for name, _labels, site in series if not site} == {F.slo_error_ratio("5m")}
    # Each with the job its selector fixes.
    assert all("job" in labels for _name, labels, _site in series)


def test_blocks_carry_the_rulers_external_labels(served):
    assert served["blocks"] and served["samples"] > 0
    for block in served["blocks"]:
        meta = json.loads((block / "meta.json").read_text())
        assert meta["thanos"]["labels"] == history.RULER_LABELS and meta["thanos"]["downsample"]["resolution"] == 0
    # The store adds them to every series it serves, as it does for the ruler's uploaded blocks.
    import requests  # noqa: PLC0415

    r = requests.get(f"{served['store'].url}/api/v1/query", params={"query": F.SITE_BACKLOG, "time": served["end"]},
                     timeout=30).json()["data"]["result"]
    assert {s["metric"]["ruler_cluster"] for s in r} == {"fleet"}


def test_every_overview_panel_answers_over_the_hours_for_every_site(served):
    start, end, sites = served["start"], served["end"], set(served["sites"])
    requests_ = history.panel_requests(served["model"], start * 1000, end * 1000)
    assert {title for title, _ in requests_} >= {"Sites reporting", "Sites", "Input backlog per site"}
    for title, body in requests_:
        answers = served["server"].query(body)["results"]
        for ref, a in answers.items():
            assert "error" not in a, (title, ref, a)
            result = a["data"]["result"]
            assert result, (title, ref, a["expr"])
            if not body["queries"][0]["instant"]:
                # Grafana's step for this panel's width over the range, and every site's line across all of it.
                iv = grafana_time.compute(start * 1000, end * 1000, body["maxDataPoints"], served["server"].scrape_ms)
                assert a["step_ms"] == iv.step_ms, (title, a["step_ms"], iv.step_ms)
                assert {s["metric"]["site"] for s in result} == sites, title
                for s in result:
                    first, last = s["values"][0][0], s["values"][-1][0]
                    assert first - start <= iv.step_ms / 1000 and end - last <= iv.step_ms / 1000, (title, first, last)


def test_the_table_and_stats_show_the_backfilled_values(served):
    end, sites = served["end"], served["sites"]
    requests_ = dict(history.panel_requests(served["model"], served["start"] * 1000, end * 1000))
    # "Sites reporting": the sum of the reporting rollup at the range's end, as written.
    want = sum(history.record_value(F.SITE_REPORTING, history.site_phase(s), end) for s in sites)
    got = served["server"].query(requests_["Sites reporting"])["results"]["A"]["data"]["result"]
    assert float(got[0]["value"][1]) == want
    # The sites table: each column's value per site is the one backfilled for it.
    body = requests_["Sites"]
    table = served["server"].query(body)["results"]
    assert len(body["queries"]) == 6
    for q in body["queries"]:
        (record, _labels, _per_site), = history.read_series({"panels": [{"targets": [q]}]})
        shown = {s["metric"]["site"]: float(s["value"][1]) for s in table[q["refId"]]["data"]["result"]}
        assert shown == {s: history.record_value(record, history.site_phase(s), end) for s in sites}, record
