"""The cost measurement end to end, small: 2 hours of one site backfilled with promtool into real
blocks (raw series and the recording rules the dashboards read), a real Prometheus of each
generation on them, every dashboard expanded and measured with stats=all.

The site runs the compose stack's containers, so cAdvisor's series are there (a layer of their own).

Also: a changed panel's new query (recorded rates, downsampled records, 5-minute copies) and its
old one (raw series) draw the same lines within 5 %, and the summarizer's process panels draw the
summarizer only.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import requests

from tests.helpers import PROJECT_ROOT
from vvdash.cost import backfill, compare, grafana, measure, records
from vvdash.cost.series import Shape, cadvisor_dashboards, compose_containers
from vvdash.errors import VVError
from vvdash.inventory import load

RULES = sorted((PROJECT_ROOT / "generated" / "prometheus" / "rules").glob("*.yml"))
MODELS = {m["uid"]: m for m in (json.loads(p.read_text()) for p in
                                 sorted((PROJECT_ROOT / "generated" / "dashboards").glob("*.json")))}
SCRAPE = 15.0
HOURS = 2
CONTAINERS = compose_containers(load(PROJECT_ROOT / "vvdash.yaml"))


CADVISOR = cadvisor_dashboards(load(PROJECT_ROOT / "vvdash.yaml"))   # vv-host draws containers


def _generations():
    out = []
    for gen in (2, 3):
        try:
            out.append(pytest.param(backfill.binary("prometheus", gen), id=f"prometheus-{gen}"))
        except VVError as exc:
            out.append(pytest.param(None, id=f"prometheus-{gen}", marks=pytest.mark.skip(reason=str(exc))))
    return out


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    cache = tmp_path_factory.mktemp("query-cost")
    meta = backfill.dataset(Shape(sites=1, containers=CONTAINERS), HOURS / 24, RULES, records.read_by([*MODELS.values(), *CADVISOR.values()], RULES),
                            compact=False, cache=cache, log=lambda _: None)
    yield meta
    shutil.rmtree(cache, ignore_errors=True)


@pytest.fixture(scope="module", params=_generations())
def server(request, data, tmp_path_factory):
    work = tmp_path_factory.mktemp("prometheus")
    copy = backfill.clone(Path(data["data"]), work)
    with backfill.Server(request.param, copy, work / "prometheus.log") as s:
        yield s


def _panel(uid, title):
    return next(p for models in (MODELS, CADVISOR) for p in models[uid]["panels"] if p.get("title") == title)


def _queries(model, panel, data, range_s):
    return grafana.expand({**model, "panels": [panel]}, end=data["end"], range_s=range_s, scrape_s=SCRAPE)


def test_the_backfill_holds_raw_series_and_records(data):
    assert data["series_per_site"] > 500 and data["raw_samples"] == data["series"] * HOURS * 3600 / SCRAPE
    assert data["records"] >= 30


def test_containers_are_a_layer_over_a_cached_data_set_without_them(tmp_path):
    """A data set with containers starts from the cached one without them and backfills only the
    records that read cAdvisor's series; one of them is a record whose input is there."""
    from shared import records as R
    cpu = R.container("container_cpu_usage_seconds_total")
    wanted = {R.downsampled("up"), cpu}
    logs: list[str] = []
    end = 1_700_000_000.0
    plain = backfill.dataset(Shape(sites=1), 0.5 / 24, RULES, {R.downsampled("up")}, end=end, compact=False,
                             cache=tmp_path, log=logs.append)
    # Over a data set without containers, the container record (held, empty) cannot be built upon.
    empty = backfill.dataset(Shape(sites=1), 0.5 / 24, RULES, {cpu}, end=end, compact=False, cache=tmp_path,
                             log=logs.append)
    layered = backfill.dataset(Shape(sites=1, containers=("a", "b")), 0.5 / 24, RULES, wanted, end=end,
                               compact=False, cache=tmp_path, log=logs.append)
    assert plain["layers"] == [] and len(layered["layers"]) == 1 and layered["raw_key"] == plain["raw_key"]
    assert layered["series"] > plain["series"]
    on_top = [m for m in logs if "on top of" in m][-1]      # the layered data set's
    assert f"on top of {plain['key']}" in on_top and " 1 recording rules" in on_top, logs
    assert empty["key"] not in on_top
    with backfill.Server(backfill.binary("prometheus", 2), backfill.clone(Path(layered["data"]), tmp_path / "q"),
                         tmp_path / "p.log") as s:
        got = requests.get(f"{s.url}/api/v1/query", params={
            "query": f"count({cpu})", "time": end}, timeout=30)
    assert got.json()["data"]["result"][0]["value"][1] == "2"


def test_every_dashboard_is_measured(server, data):
    for uid, model in [*MODELS.items(), ("vv-host", CADVISOR["vv-host"])]:
        queries = grafana.expand(model, end=data["end"], range_s=HOURS * 3600, scrape_s=SCRAPE)
        costs = measure.measure(server.url, queries, runs=1, warmup=False)
        assert len(costs) == len(queries)
        assert all(c.seconds[0] > 0 for c in costs), uid
        dash = measure.per_dashboard(costs)[uid]
        assert dash["samples"] > 0 and dash["queries"] == len(queries)
        # Panels over pipeline metrics draw lines: the raw series and the records are there.
        drawn = [c for c in costs if c.series > 0]
        assert len(drawn) >= len(costs) // 2, (uid, [c.query.panel for c in costs if not c.series])


def test_recorded_quantile_reads_fewer_samples_than_the_raw_one(server, data):
    panel = _panel("vv-pipeline", "Scan duration p50/p95/p99")
    raw = {**panel, "interval": None, "targets": [{
        "refId": "A", "legendFormat": "p95", "expr": 'histogram_quantile(0.95, sum by (le) (rate('
        'vv_scan_video_duration_seconds_bucket{site=~"$site", job=~"$job", instance=~"$instance"}[$__rate_interval])))'}]}
    [new] = [c for c in measure.measure(server.url, _queries(MODELS["vv-pipeline"], panel, data, 3600), 1, False)
             if c.query.ref == "B"]
    [old] = measure.measure(server.url, _queries(MODELS["vv-pipeline"], raw, data, 3600), 1, False)
    assert 0 < new.samples < old.samples


OWN_HOST = ('site=~"$site", job=~"$job", instance=~"$instance", job=~"agent_dvr|cadvisor|logline_generator|node|'
            'orchestrator|scan_video|self_monitor|storage_exporter|summarize_scene|tv_scheduler"')
CT = 'site=~"$site", job=~"$job", instance=~"$instance", name!=""'
OLD = {
    # dashboard, panel: the raw queries these panels ran before they read recording rules.
    ("vv-pipeline", "Scan duration p50/p95/p99"): [
        ("p95", 'histogram_quantile(0.95, sum by (le) (rate(vv_scan_video_duration_seconds_bucket'
                '{site=~"$site", job=~"$job", instance=~"$instance"}[$__rate_interval])))')],
    ("vv-pipeline", "Error ratio by stage"): [
        (stage, f'sum(rate({counter}{{site=~"$site", job=~"$job", instance=~"$instance", status="failure"}}'
                f'[$__rate_interval])) / sum(rate({counter}{{site=~"$site", job=~"$job", instance=~"$instance"}}'
                f"[$__rate_interval]))")
        for stage, counter in (("scan", "vv_scan_video_processed_total"),
                               ("summarize", "vv_summarize_scene_processed_total"),
                               ("logline", "vv_logline_generated_total"))],
    ("vv-pipeline", "Funnel: items per second by stage"): [
        ("scan", 'sum(rate(vv_scan_video_processed_total{site=~"$site", job=~"$job", instance=~"$instance"}'
                 '[$__rate_interval]))')],
    ("vv-summarizer", "Inference duration by backend"): [
        ("{{backend}} p99", 'histogram_quantile(0.99, sum by (le, backend) (rate('
                            'vv_summarize_scene_bitnet_inference_duration_seconds_bucket'
                            '{site=~"$site", job=~"$job", instance=~"$instance"}[$__rate_interval])))')],
    # Raw gauges and counts that now read the downsampling records (rules/downsample.py).
    ("vv-overview", "Scrape targets up/down"): [
        ("{{job}} {{instance}}", 'max by (job, instance) (up{site=~"$site", job=~"$job", instance=~"$instance"})')],
    ("vv-host", "Process memory"): [
        ("{{job}} {{instance}}", f"sum by (job, instance) (process_resident_memory_bytes{{{OWN_HOST}}})")],
    ("vv-storage", "Used per subfolder"): [
        ("{{folder}}", 'sum by (folder) (vv_storage_used_bytes{site=~"$site", job=~"$job", instance=~"$instance"})')],
    ("vv-maintenance", "Files deleted by cleanup"): [
        ("files", 'sum(increase(vv_cleanup_files_deleted_total{site=~"$site", job=~"$job", instance=~"$instance"}'
                  '[$__rate_interval]))')],
    # A record evaluated at the normal interval that now reads its 5-minute copy, and the
    # open-files share that is now one record (their raw expressions).
    ("vv-host", "Process CPU"): [
        ("{{job}} {{instance}}", f'sum by (job, instance) (rate(process_cpu_seconds_total{{{OWN_HOST}}}[5m]))')],
    ("vv-host", "Process open files"): [
        ("{{job}} {{instance}}", f"process_open_fds{{{OWN_HOST}}} / process_max_fds{{{OWN_HOST}}}")],
    # cAdvisor's panels, which read raw series before their 5-minute records.
    ("vv-host", "Container CPU"): [
        ("{{name}}", f'sum by (name) (rate(container_cpu_usage_seconds_total{{{CT}}}[$__rate_interval]))')],
    ("vv-host", "Container memory"): [
        ("{{name}}", f'sum by (name) (container_memory_working_set_bytes{{{CT}}})'),
        ("{{name}} incl. cache", f'sum by (name) (container_memory_usage_bytes{{{CT}}})')],
    ("vv-host", "Container network"): [
        ("{{name}} rx", f'-sum by (name) (rate(container_network_receive_bytes_total{{{CT}}}'
                        f'[$__rate_interval]))'),
        ("{{name}} tx", f'sum by (name) (rate(container_network_transmit_bytes_total{{{CT}}}'
                        f'[$__rate_interval]))')],
    ("vv-host", "Container filesystem I/O"): [
        ("{{name}} write", f'sum by (name) (rate(container_fs_writes_bytes_total{{{CT}}}'
                           f'[$__rate_interval]))')],
}
# (Subfolder growth per hour is compared by the benchmark over a week: its copy's newest fit is up to
# 5 minutes old, which over this data's last hour is up to 10 % of the line, over a week 2 %.)


@pytest.mark.parametrize("uid, title", list(OLD), ids=[t for _, t in OLD])
def test_new_queries_draw_what_the_old_ones_drew(server, data, uid, title):
    new = _panel(uid, title)
    legends = {legend for legend, _ in OLD[(uid, title)]}
    kept = [t for t in new["targets"] if t.get("legendFormat") in legends or len(new["targets"]) == 1]
    new = {**new, "targets": kept}
    old = {**new, "interval": None, "type": "timeseries" if new["type"] == "timeseries" else new["type"],
           "targets": [{"refId": chr(65 + i), "legendFormat": legend, "expr": expr}
                       for i, (legend, expr) in enumerate(OLD[(uid, title)])]}
    if new["type"] == "bargauge":       # the old bargauge reduced a range query by its mean
        old["targets"] = [{**t, "instant": False, "range": True} for t in old["targets"]]
    # The last 90 minutes: the recorded 5 m rates need 5 minutes of data behind them.
    range_s = 5400
    result = compare.agree(old, _queries(MODELS[uid], old, data, range_s), new,
                           _queries(MODELS[uid], new, data, range_s), server.url, tolerance=0.05)
    assert result.compared > 0 and not result.missing, result
    assert result.worst <= 0.05, result


def test_summarizer_cpu_is_the_summarizers_process_only(server, data):
    panel = _panel("vv-summarizer", "Summarizer CPU")
    [cost] = measure.measure(server.url, _queries(MODELS["vv-summarizer"], panel, data, 3600), 1, False)
    assert {s["metric"]["instance"] for s in cost.result} and len(cost.result) == 1
    bare = {**panel, "targets": [{"refId": "A", "expr": 'sum by (instance) (rate(process_cpu_seconds_total'
                                                       '{site=~"$site", job=~"$job", instance=~"$instance"}'
                                                       '[$__rate_interval]))'}]}
    [before] = measure.measure(server.url, _queries(MODELS["vv-summarizer"], bare, data, 3600), 1, False)
    assert len(before.result) > 10     # every process of the site: the bug the job matcher fixes
