"""The PromQL contract check on single expressions, and the catalog it checks against."""

from __future__ import annotations

import pytest
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from vvdash.catalog import load
from vvdash.catalog.instrument import instruments
from vvdash.check.contract import Contract, Recorded

CATALOG = load()


@pytest.fixture
def contract():
    return Contract(CATALOG, {"stage:vv_stage_items:rate5m": Recorded(frozenset({"stage", "site"}), "gauge")})


@pytest.mark.parametrize("expr", [
    'sum by (stage) (vv_pipeline_stage_active_processors{site="$site", job=~"$job"})',
    "histogram_quantile(0.95, sum by (le) (rate(vv_scan_video_duration_seconds_bucket[$__rate_interval])))",
    'sum(rate(vv_videos_processed_total{status="failure"}[5m])) / sum(rate(vv_videos_processed_total[5m]))',
    "time() - vv_cleanup_last_success_timestamp_seconds > 7200",
    'absent(up{job="orchestrator"})',
    "changes(container_start_time_seconds[1h]) > 3",
    "vv_agent_dvr_connection_status * on (dvr) group_left (instance) probe_success",
    "sum by (stage, site) (stage:vv_stage_items:rate5m) > 0",
    'ALERTS{alertstate="firing", anything="x"}',
    "sum by (mode) (topk by (job) (1, rate(node_cpu_seconds_total[5m])))",
    "avg_over_time(up[$__range]) * ${__range_s}",
    "max_over_time(up[5m:1m])",
    "rate(node_cpu_seconds_total[5m]) and on (instance) up == 1",
    "sum by (mode) (rate(node_cpu_seconds_total[5m]) / ignoring (cpu) rate(node_cpu_seconds_total[5m]))",
])
def test_expressions_that_honour_the_contract(contract, expr):
    assert contract.check(expr) == []


@pytest.mark.parametrize("expr, problem", [
    ("vv_nope", "unknown metric vv_nope"),
    ("vv_scan_video_duration_seconds", "histogram vv_scan_video_duration_seconds has no series of that name"),
    ("rate(vv_videos_in_input_queue[5m])", "rate() over vv_videos_in_input_queue, which is a gauge"),
    ("increase(vv_storage_used_bytes[1h])", "increase() over vv_storage_used_bytes, which is a gauge"),
    ("vv_videos_processed_total > 3", "counter vv_videos_processed_total used raw in '>'"),
    ("vv_videos_processed_total", "counter vv_videos_processed_total used raw"),
    ("sum by (foo) (rate(vv_videos_processed_total[5m]))", "sum by label 'foo' is not on vv_videos_processed_total"),
    ('up{bogus="1"}', "label 'bogus' is not on up"),
    ("histogram_quantile(0.9, sum by (status) (rate(vv_scan_video_duration_seconds_bucket[5m])))",
     "sum by label 'status' is not on vv_scan_video_duration_seconds_bucket"),
    ("rate(vv_videos_processed_total[5m]) * on (stage) rate(vv_scan_video_processed_total[5m])",
     "on() label 'stage' is not on vv_videos_processed_total"),
    ('label_replace(up, "a", "$1", "nojob", "(.*)")', "label_replace() source label 'nojob' is not on up"),
    ("sum by (stage) (stage:vv_stage_items:rate5m{tv_id=\"x\"})", "label 'tv_id' is not on stage:vv_stage_items:rate5m"),
    ("sum(rate(x[5m]", "PromQL does not parse"),
    # one-to-one matching keeps only the on() labels, and drops the ignoring() ones
    ("sum by (mountpoint) (node_filesystem_avail_bytes / on (instance) node_load1)",
     "sum by label 'mountpoint' is not on node_filesystem_avail_bytes"),
    ("sum by (mode) (rate(node_cpu_seconds_total[5m]) / ignoring (mode) rate(node_cpu_seconds_total[5m]))",
     "sum by label 'mode' is not on node_cpu_seconds_total"),
    # a counter passed through a set operator is still raw
    ("node_network_receive_bytes_total or vector(0)", "counter node_network_receive_bytes_total used raw"),
    ("node_network_receive_bytes_total unless up", "counter node_network_receive_bytes_total used raw"),
    ("up[5m]", "a range vector cannot be graphed or alerted on"),
    ("rate(up[5m:1m])", "rate() over up, which is a gauge"),
])
def test_violations_are_named(contract, expr, problem):
    problems = contract.check(expr)
    assert any(problem in p for p in problems), problems


def test_template_queries(contract):
    assert contract.check_label_values("label_values(up, site)") == []
    assert contract.check_label_values('label_values(up{site=~"$site"}, instance)') == []
    assert contract.check_label_values("label_values(vv_agent_dvr_connection_status, camera)") == [
        "label 'camera' is not on vv_agent_dvr_connection_status"]
    assert contract.check_label_values("query_result(vv_nope)") == [
        "unknown metric vv_nope (not in the catalog, not a recording rule)"]


@pytest.mark.parametrize("component", sorted({m.component for m in CATALOG if not m.exporter}))
def test_instruments_expose_exactly_the_catalog(component):
    registry = CollectorRegistry()
    made = instruments(component, registry)
    for metric in CATALOG.for_component(component):
        inst = made[metric.name]
        if metric.labels:
            inst = inst.labels(*["x"] * len(metric.labels))
        if metric.type == "histogram":
            inst.observe(0.1)
        elif metric.type == "counter":
            inst.inc()
        else:
            inst.set(1)
    families = {f.name: f for f in text_string_to_metric_families(generate_latest(registry).decode())}
    for metric in CATALOG.for_component(component):
        family_name = metric.name[: -len("_total")] if metric.type == "counter" else metric.name
        family = families[family_name]
        assert family.type == metric.type
        sample_names = {s.name for s in family.samples}
        expected = ({metric.name + s for s in ("_bucket", "_sum", "_count")} if metric.type == "histogram"
                    else {metric.name})
        assert expected <= sample_names
        for sample in family.samples:
            assert set(sample.labels) - {"le"} == set(metric.labels)


def test_catalog_rejects_conventions_broken_at_declaration():
    from vvdash.catalog.model import Metric
    with pytest.raises(ValueError, match="only counters end in _total"):
        Metric("vv_queue_total", "gauge", "h", "x")
    with pytest.raises(ValueError, match="a counter must end in _total"):
        Metric("vv_things", "counter", "h", "x")
    with pytest.raises(ValueError, match="needs buckets"):
        Metric("vv_latency_seconds", "histogram", "h", "x")
