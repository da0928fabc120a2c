"""Pushed groups follow the instance variable: a real push (pipeline.pushgateway's grouping key)
through a real Pushgateway, scraped by a real Prometheus with honor_labels as vvdash configures it.

The maintenance and storage dashboards' `instance` variable lists the pushing host, and their
cleanup panels, filtered by that instance, return the pushed data.
"""

from __future__ import annotations

import re
import time

import pytest
import requests
from prometheus_client import CollectorRegistry

from pipeline.pushgateway import grouping_key, push
from tests.dashboards.fixtures import fast_downsample_rules
from vvdash import inventory
from vvdash.catalog.instrument import instruments
from vvdash.emit.prometheus_config import host_addressing, scrape_jobs
from vvdash.jobs import JOB
from vvdash.model.dashboards import iter_targets
from vvdash.procs import Process, require_binary, start_on_free_port
from vvdash.project import load_project

PANELS = {"vv-maintenance": ("Cleanup run duration", "Files deleted by cleanup"),
          "vv-storage": ("Files deleted by cleanup", "Space freed by cleanup")}


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    """Pushgateway and Prometheus on free 127.0.0.1 ports; one cleanup push; stopped after the module."""
    work = tmp_path_factory.mktemp("pushed")
    gateway, gw_port = start_on_free_port(
        lambda port: Process("pushgateway", [require_binary("prometheus-pushgateway"),
                                             f"--web.listen-address=127.0.0.1:{port}", "--persistence.file=",
                                             "--log.level=warn"], work / "pushgateway.log").start(),
        lambda port: f"http://127.0.0.1:{port}/-/ready", timeout=20)
    (work / "prometheus.yml").write_text(
        "global: {scrape_interval: 1s}\n"
        f"rule_files: [{fast_downsample_rules(work)}]\n"
        "scrape_configs:\n"
        f"  - job_name: {JOB['pushgateway']}\n    honor_labels: true\n"
        f"    static_configs: [{{targets: ['127.0.0.1:{gw_port}'], labels: {{site: local}}}}]\n")
    try:
        inv = inventory.load()
        site = inv.sites[0]
        registry = CollectorRegistry()
        m = instruments("cleanup_old_files", registry)
        m["vv_cleanup_files_deleted_total"].inc(3)
        m["vv_cleanup_bytes_deleted_total"].inc(3000)
        m["vv_cleanup_duration_seconds"].set(1.5)
        assert push(registry, "cleanup_old_files", f"http://127.0.0.1:{gw_port}", grouping_key(inv, site))
        prometheus, prom_port = start_on_free_port(
            lambda port: Process("prometheus", [require_binary("prometheus"), f"--config.file={work / 'prometheus.yml'}",
                                                f"--storage.tsdb.path={work / 'data'}",
                                                f"--web.listen-address=127.0.0.1:{port}"], work / "prometheus.log").start(),
            lambda port: f"http://127.0.0.1:{port}/-/ready")
        try:
            url = f"http://127.0.0.1:{prom_port}"
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:    # a few scrapes and record evaluations
                r = requests.get(f"{url}/api/v1/query", timeout=5, params={
                    "query": "count_over_time(instance:vv_cleanup_duration_seconds:max_over_time5m[1m])"})
                result = r.json()["data"]["result"]
                if result and float(result[0]["value"][1]) >= 3:
                    break
                time.sleep(0.3)
            yield url, site["hosts"][0]["name"]
        finally:
            prometheus.stop()
    finally:
        gateway.stop()


def test_vvdash_scrapes_the_pushgateway_with_honor_labels():
    inv = inventory.load()
    job = next(j for j in scrape_jobs(inv, host_addressing(inv)) if j["name"] == JOB["pushgateway"])
    assert job["honor_labels"] is True


def _variable(model, name):
    return next(v for v in model["templating"]["list"] if v["name"] == name)


def _sent(expr: str, instance: str) -> str:
    """As Grafana sends it with site and job on All and one instance selected."""
    expr = re.sub(r"\$\{?__(rate_)?interval\}?", "1m", expr)
    expr = re.sub(r"\$\{?(site|job)\}?", ".+", expr)
    return re.sub(r"\$\{?instance\}?", instance, expr)     # host names here hold no regex characters


@pytest.mark.parametrize("uid", sorted(PANELS))
def test_the_instance_variable_lists_the_pushing_host(stack, uid):
    url, host = stack
    model = load_project().dashboard(uid).model
    query = _variable(model, "instance")["query"]["query"]
    selector = re.fullmatch(r"label_values\((.*), instance\)", query).group(1)
    r = requests.get(f"{url}/api/v1/series", params={"match[]": _sent(selector, "")}, timeout=5)
    assert r.status_code == 200, r.text
    assert host in {s.get("instance") for s in r.json()["data"]}, (selector, r.json()["data"])


@pytest.mark.parametrize("uid", sorted(PANELS))
def test_cleanup_panels_filtered_by_that_instance_show_the_push(stack, uid):
    url, host = stack
    model = load_project().dashboard(uid).model
    targets = {p["title"]: t["expr"] for p, t in iter_targets(model)}
    for title in PANELS[uid]:
        expr = targets[title]
        assert 'instance=~"$instance"' in expr, (uid, title, expr)
        for instance, expect_data in ((host, True), ("another-host", False)):
            r = requests.get(f"{url}/api/v1/query", params={"query": _sent(expr, instance)}, timeout=5)
            assert r.status_code == 200, r.text
            assert bool(r.json()["data"]["result"]) is expect_data, (uid, title, instance, r.json())
