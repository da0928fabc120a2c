"""What the supporting services expose matches the catalog, and promtool has nothing to say about it."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest
from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families
from support_helpers import HMAC_ENV, ROOT, TEST_KEY, scrape, value

from pipeline import cleanup_old_files, log_exporter
from pipeline.pushgateway import JobState
from pipeline.self_monitor import attach
from pipeline.signing import sign
from pipeline.storage import Storage
from pipeline.supervisor import ServiceSpec, Supervisor, python_module_argv
from vvdash import catalog, inventory
from vvdash.http_reply import wait_ready_file
from vvdash.procs import require_binary, wait_http

INV = inventory.load()


def catalog_mismatches(text: str, components: set[str]) -> list[str]:
    """Every family must be a catalog metric of `components` (or process_*), same type and labels,
    and every catalog metric of `components` must be there."""
    cat = catalog.load()
    problems, seen = [], set()
    for fam in text_string_to_metric_families(text):
        name = fam.name + "_total" if fam.type == "counter" and not fam.name.endswith("_total") else fam.name
        if name not in cat:
            problems.append(f"{name}: not in the catalog")
            continue
        m = cat[name]
        if m.component not in components | {"process"}:
            problems.append(f"{name}: belongs to {m.component}")
        if m.type != fam.type:
            problems.append(f"{name}: exposed as {fam.type}, catalog says {m.type}")
        for s in fam.samples:
            labels = set(s.labels) - {"le"}
            if labels != set(m.labels):
                problems.append(f"{s.name}: labels {sorted(labels)}, catalog says {sorted(m.labels)}")
        seen.add(name)
    for m in cat:
        if m.component in components and m.name not in seen:
            problems.append(f"{m.name}: in the catalog, not exposed")
    return problems


def promtool_findings(text: str) -> str:
    done = subprocess.run([require_binary("promtool"), "check", "metrics"], input=text, capture_output=True,
                          text=True, timeout=30)
    return (done.stdout + done.stderr).strip() + ("" if done.returncode == 0 else f" (exit {done.returncode})")


@pytest.fixture
def services(tmp_path, root, hmac_key):
    """storage_exporter and tv_scheduler as real processes, watched by an attached self_monitor."""
    storage = Storage(root).ensure()
    rec = {"schema": "vv.logline/1", "video_id": "a" * 24, "video": "a.mp4",
           "created_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "duration_seconds": 10.0,
           "people": 1, "faces": 0, "activity": "low", "tags": [], "summary": "A scene.", "backend": "builtin"}
    (storage.processed / "a.mp4").write_bytes(b"video")
    storage.logline_path("a" * 24).write_text(sign(rec, hmac_key).replace("A scene", "B scene") + "\n")
    sup = Supervisor(tmp_path / "logs")
    ports = {}
    try:
        for name in ("storage_exporter", "tv_scheduler"):
            # Each binds a port of its own and reports it; a restart then takes that port again.
            argv = python_module_argv(f"pipeline.{name}", "--inventory", str(INV.path), "--storage-root", str(root))
            ready = tmp_path / f"{name}.port"
            sup.add(ServiceSpec(name, [*argv, "--port", "0", "--ready-file", str(ready)], env={HMAC_ENV: TEST_KEY}))
            ports[name] = wait_ready_file(ready, timeout=30, proc=sup.start(name).popen)
            sup.add(ServiceSpec(name, [*argv, "--port", str(ports[name])], f"http://127.0.0.1:{ports[name]}/healthz",
                                {HMAC_ENV: TEST_KEY}))
            wait_http(sup.specs[name].health_url, timeout=30, proc=sup.procs[name].popen)
        running = attach(sup, INV, port=0, period=0.3)
        ports["self_monitor"] = running.http.port
        yield sup, running, {name: f"http://127.0.0.1:{port}/metrics" for name, port in ports.items()}
    finally:
        sup.stop_all()     # attach chained the monitor's stop into this


@pytest.mark.parametrize("component", ["storage_exporter", "tv_scheduler", "self_monitor"])
def test_scraped_metrics_match_the_catalog_and_pass_promtool(services, component):
    _, _, urls = services
    deadline = time.monotonic() + 10
    text = scrape(urls[component])
    while component == "self_monitor" and "service_up{" not in text and time.monotonic() < deadline:
        time.sleep(0.1)
        text = scrape(urls[component])
    assert catalog_mismatches(text, {component}) == []
    assert promtool_findings(text) == ""


def test_the_services_report_what_they_see(services):
    sup, running, urls = services
    text = scrape(urls["tv_scheduler"])
    assert value(text, "vv_tv_scheduler_loglines_rejected_total", reason="tampered") == 1
    text = scrape(urls["storage_exporter"])
    assert value(text, "vv_storage_files", folder="processed") == 1
    assert value(text, "vv_storage_used_bytes", folder="loglines") > 0
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        text = scrape(urls["self_monitor"])
        if value(text, "vv_self_monitor_service_up", service="tv_scheduler") == 1:
            break
        time.sleep(0.1)
    assert value(text, "vv_self_monitor_service_up", service="tv_scheduler") == 1
    assert value(text, "vv_self_monitor_service_up", service="storage_exporter") == 1
    # Stopping the services stops the watcher first: nothing is brought back on the way out.
    procs = dict(sup.procs)
    before = restarts_triggered(running.monitor)
    sup.stop_all()
    assert running.monitor.health() == (False, "probe loop not running")   # the loop was joined
    assert restarts_triggered(running.monitor) == before
    assert sup.procs == procs                           # no new process was started in their place
    assert not sup.alive("tv_scheduler") and not sup.alive("storage_exporter")


def restarts_triggered(monitor) -> dict[str, float]:
    """{service: restarts the monitor triggered}, read from its own counter."""
    counter = monitor.m["vv_self_monitor_container_restarts_triggered_total"]
    return {s.labels["service"]: s.value for fam in counter.collect() for s in fam.samples
            if s.name.endswith("_total")}


@pytest.mark.parametrize("module", [cleanup_old_files, log_exporter])
def test_pushed_exposition_matches_the_catalog_and_passes_promtool(root, module):
    with JobState(root, module.COMPONENT) as state:
        state.set("last_success", 1.7e9)
        text = generate_latest(module._registry(state)).decode()
    assert catalog_mismatches(text, {module.COMPONENT}) == []
    assert promtool_findings(text) == ""


def test_tv_scheduler_refuses_a_missing_key_in_one_line():
    done = subprocess.run([sys.executable, "-m", "pipeline.tv_scheduler", "--port", "0"],
                          cwd=ROOT, capture_output=True, text=True, timeout=30,
                          env={k: v for k, v in os.environ.items() if k != HMAC_ENV})
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and HMAC_ENV in lines[0] and "pipeline.hmac_key" in lines[0]
