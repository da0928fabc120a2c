"""Every panel, variable and annotation query runs on a real Prometheus without an error.

The catalog contract parses queries with promql-parser; this runs them through Prometheus'
own engine (the Debian `prometheus` binary), with the variables as Grafana sends them when
"All" is selected. Prometheus scrapes itself, so queries over `up` and `process_*` return data.
"""

from __future__ import annotations

import re
import time

import pytest
import requests

from tests.dashboards.fixtures import fast_downsample_rules
from vvdash.check.metric_coverage import dashboard_exprs
from vvdash.model.dashboards import iter_targets
from vvdash.procs import Process, require_binary, start_on_free_port
from vvdash.project import load_project

GRAFANA_VARIABLES = [
    (re.compile(r"\$\{?__rate_interval\}?"), "1m"),
    (re.compile(r"\$\{?__range\}?"), "1h"),
    (re.compile(r"\$\{?__interval\}?"), "15s"),
    (re.compile(r"\$\{?(site|job|instance)\}?"), ".+"),     # allValue of the multi-value variables
]


def as_sent(expr: str) -> str:
    for pattern, value in GRAFANA_VARIABLES:
        expr = pattern.sub(value, expr)
    return expr


@pytest.fixture(scope="module")
def prometheus(tmp_path_factory):
    binary = require_binary("prometheus")
    work = tmp_path_factory.mktemp("prometheus")

    def start(port: int) -> Process:
        (work / "prometheus.yml").write_text(
            "global: {scrape_interval: 1s}\n"
            f"rule_files: [{fast_downsample_rules(work)}]\n"
            "scrape_configs:\n"
            f"  - job_name: prometheus\n    static_configs: [{{targets: ['127.0.0.1:{port}'], labels: {{site: local}}}}]\n")
        return Process("prometheus", [binary, f"--config.file={work / 'prometheus.yml'}",
                                      f"--storage.tsdb.path={work / 'data'}", f"--web.listen-address=127.0.0.1:{port}"],
                       work / "prometheus.log").start()

    proc, port = start_on_free_port(start, lambda port: f"http://127.0.0.1:{port}/-/ready")
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:      # scrapes, so rate() over `up`'s target has data, and records
            r = requests.get(f"{url}/api/v1/query", timeout=5,
                             params={"query": "count_over_time(instance:up:min_over_time5m[1m])"})
            result = r.json()["data"]["result"]
            if result and float(result[0]["value"][1]) >= 3:
                break
            time.sleep(0.3)
        yield url
    finally:
        proc.stop()


def _queries():
    project = load_project()
    for dash in project.dashboards:
        instants = {id(t) for _, t in iter_targets(dash.model) if t.get("instant")}
        for panel, target in iter_targets(dash.model):
            yield dash.uid, panel["title"], target["expr"], id(target) in instants
        targets = {t["expr"] for _, t in iter_targets(dash.model)}
        for expr in dashboard_exprs(dash.model):
            if expr not in targets:
                yield dash.uid, "(variable or annotation)", expr, True


def test_every_query_runs_on_prometheus(prometheus):
    now = time.time()
    failures = []
    count = 0
    for uid, title, expr, instant in _queries():
        query = as_sent(expr)
        if instant:
            r = requests.get(f"{prometheus}/api/v1/query", params={"query": query}, timeout=10)
        else:
            r = requests.get(f"{prometheus}/api/v1/query_range",
                             params={"query": query, "start": now - 600, "end": now, "step": 15}, timeout=10)
        count += 1
        body = r.json()
        if r.status_code != 200 or body.get("status") != "success":
            failures.append(f"{uid} / {title}: {body.get('error', r.status_code)}: {query}")
    assert count > 100
    assert failures == []


def test_self_scrape_panels_return_data(prometheus):
    """A query over series that exist here returns them (the substitution really selects)."""
    project = load_project()
    overview = project.dashboard("vv-overview").model
    expr = next(t["expr"] for p, t in iter_targets(overview) if p["title"] == "Scrape targets up/down")
    r = requests.get(f"{prometheus}/api/v1/query", params={"query": as_sent(expr)}, timeout=10)
    result = r.json()["data"]["result"]
    assert [s["metric"]["job"] for s in result] == ["prometheus"]


def test_process_panels_draw_only_their_dashboards_jobs(prometheus):
    """Prometheus' own process_* series exist here, but no host or summarizer panel is about Prometheus."""
    project = load_project()
    for uid, title in (("vv-host", "Process memory"), ("vv-summarizer", "Summarizer memory")):
        model = project.dashboard(uid).model
        expr = next(t["expr"] for p, t in iter_targets(model) if p["title"] == title)
        r = requests.get(f"{prometheus}/api/v1/query", params={"query": as_sent(expr)}, timeout=10)
        assert r.json()["data"]["result"] == [], (uid, title, expr)
    # The same selector without the panel's own job matcher draws Prometheus' process: the bug it prevents.
    bare = 'sum by (job, instance) (process_resident_memory_bytes{site=~".+", job=~".+", instance=~".+"})'
    r = requests.get(f"{prometheus}/api/v1/query", params={"query": bare}, timeout=10)
    assert [s["metric"]["job"] for s in r.json()["data"]["result"]] == ["prometheus"]
