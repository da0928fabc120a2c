"""The services end to end: simulator -> agent_dvr -> orchestrator -> stages, scraped at their /metrics."""

from __future__ import annotations

import subprocess
import sys

import pytest
import requests

from pipeline.signing import verify
from pipeline.storage import Storage
from pipeline_helpers import (HMAC_KEY, parse_exposition, promtool_check, wait_for, write_inventory)
from tests.helpers import PROJECT_ROOT
from vvdash.catalog import load as load_catalog

COMPONENTS = ("agent_dvr", "orchestrator", "scan_video", "summarize_scene", "logline_generator")
ABSENT_WITHOUT_GPU = {"vv_summarize_scene_gpu_utilization_ratio", "vv_summarize_scene_gpu_memory_used_bytes"}


def _sample(text: str, name: str, **labels) -> float:
    from prometheus_client.parser import text_string_to_metric_families
    for fam in text_string_to_metric_families(text):
        for s in fam.samples:
            if s.name == name and all(s.labels.get(k) == v for k, v in labels.items()):
                return s.value
    return 0.0


@pytest.mark.timeout(180)
def test_services_process_simulator_segments_and_expose_the_catalog(services, pipeline_env):
    inv_path, root, _ = pipeline_env
    storage = Storage(root).ensure()
    (storage.input / "empty.mp4").write_bytes(b"")          # one corrupt input, so reasons are exposed too
    services.start("dvr_simulator")
    for name in ("scan_video", "summarize_scene", "logline_generator", "orchestrator", "agent_dvr"):
        services.start(name)

    wait_for(lambda: len(storage.logline_files()) >= 2, 60, "two loglines from simulator segments")
    # The DVR drops every stream: the agent counts the error and reconnects by itself.
    requests.post(services.url("dvr_simulator", "/control?drop=1"), timeout=5).raise_for_status()
    wait_for(lambda: _sample(services.metrics("agent_dvr"), "vv_agent_dvr_connection_errors_total", dvr="dvr1") >= 1,
             15, "the dropped stream to be counted")
    wait_for(lambda: _sample(services.metrics("agent_dvr"), "vv_agent_dvr_connection_status", dvr="dvr1") == 1,
             15, "the agent to reconnect")

    processed = {p.name for p in storage.entries("processed")}
    assert len(processed) >= 2 and all(n.startswith("dvr1-") and n.endswith(".mp4") for n in processed)
    records = [verify(f.read_text(encoding="utf-8"), HMAC_KEY.encode()) for f in storage.logline_files()]
    assert {r["video"] for r in records} <= processed | {p.name for p in storage.entries("processing")}
    assert (root / "corrupted" / "empty.mp4.reason.json").exists()

    catalog = load_catalog()
    for component in COMPONENTS:
        text = services.metrics(component)
        check = promtool_check(text)
        assert check.returncode == 0 and not (check.stdout + check.stderr).strip(), (component, check)
        exposed = parse_exposition(text)
        declared = {m.name: m for m in catalog.for_component(component) if m.name not in ABSENT_WITHOUT_GPU}
        declared.update({m.name: m for m in catalog.for_component("process")})
        assert set(exposed) == set(declared), component
        for name, metric in declared.items():
            assert exposed[name]["type"] == metric.type, name
            if exposed[name]["labels"]:
                assert exposed[name]["labels"] == set(metric.labels), name
        assert not ABSENT_WITHOUT_GPU & set(exposed)

    scan = services.metrics("scan_video")
    assert _sample(scan, "vv_scan_video_frames_scanned_total") > 0
    assert _sample(scan, "vv_scan_video_objects_detected_total", object_type="person") > 0
    orch = services.metrics("orchestrator")
    assert _sample(orch, "vv_videos_processed_total", status="success") >= 2
    assert _sample(orch, "vv_videos_corrupted_total", reason="empty") == 1
    assert _sample(orch, "vv_files_in_corrupted") == 1
    assert _sample(orch, "vv_pipeline_stage_workers", stage="scan") == 1
    agent = services.metrics("agent_dvr")
    assert _sample(agent, "vv_agent_dvr_video_segments_created_total", dvr="dvr1") >= 2
    assert _sample(agent, "vv_agent_dvr_frames_captured_total", dvr="dvr1") >= 40
    assert _sample(agent, "vv_agent_dvr_last_segment_timestamp_seconds", dvr="dvr1") > 1.7e9
    summ = services.metrics("summarize_scene")
    assert _sample(summ, "vv_summarize_scene_model_loaded_info", backend="builtin",
                   model_name="vv-builtin-summarizer", model_version="1") == 1
    log = services.metrics("logline_generator")
    assert _sample(log, "vv_logline_generated_total", status="success") >= 2

    # `vvdash pipeline verify` agrees, and names a tampered line.
    files = [str(f) for f in storage.logline_files()]
    tampered = storage.logline_files()[0]
    tampered.write_text(tampered.read_text(encoding="utf-8").replace('"people":', '"people":9'), encoding="utf-8")
    r = subprocess.run([sys.executable, "-m", "vvdash", "--inventory", str(inv_path), "pipeline", "verify", *files],
                       capture_output=True, text=True, timeout=60, cwd=PROJECT_ROOT)
    assert r.returncode == 1, r.stderr
    assert r.stdout.splitlines()[0] == f"{tampered}:1: signature mismatch (tampered or signed with another key)"


def test_logline_service_without_key_refuses_to_start_with_one_line(tmp_path):
    inv_path, root, env = write_inventory(tmp_path, key=False)
    r = subprocess.run([sys.executable, "-m", "pipeline.logline_generator", "--inventory", str(inv_path)],
                       capture_output=True, text=True, timeout=60, cwd=PROJECT_ROOT)
    assert r.returncode == 2
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("logline_generator: cannot start: pipeline.hmac_key: "), lines
    assert "hmac.key" in lines[0]
