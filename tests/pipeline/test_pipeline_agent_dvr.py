"""agent_dvr against the simulated DVR's faults: down, back up, slowed past the read timeout; and the
--site option every pipeline service takes."""

from __future__ import annotations

import copy
import os
import subprocess
import sys
import time

import cv2
import pytest
import requests
import yaml

from pipeline.services import LONG_RUNNING
from pipeline.storage import Storage
from pipeline_helpers import wait_for
from tests.helpers import PROJECT_ROOT
from vvdash.procs import free_port


def _value(services, name: str) -> float:
    from prometheus_client.parser import text_string_to_metric_families
    for fam in text_string_to_metric_families(services.metrics("agent_dvr")):
        for s in fam.samples:
            if s.name == name and s.labels.get("dvr") == "dvr1":
                return s.value
    raise AssertionError(f"{name} not exposed")


@pytest.mark.timeout(120)
def test_agent_reconnects_after_the_dvr_goes_down_and_after_a_stall(services, pipeline_env):
    _, root, _ = pipeline_env
    storage = Storage(root)
    services.start("dvr_simulator")
    before_start = time.time()
    services.start("agent_dvr", "--max-backoff", "1", "--read-timeout", "1")
    control = services.url("dvr_simulator", "/control")
    wait_for(lambda: _value(services, "vv_agent_dvr_connection_status") == 1, 15, "the first connection")
    assert _value(services, "vv_agent_dvr_connect_duration_seconds_count") >= 1
    # Connected, and the first segment is 2 s of frames away: the last-segment time counts from the
    # connection, not from 0, so "no segment for X seconds while connected" cannot fire at start.
    assert before_start <= _value(services, "vv_agent_dvr_last_segment_timestamp_seconds") <= time.time()

    requests.post(control + "?state=down", timeout=5).raise_for_status()
    wait_for(lambda: _value(services, "vv_agent_dvr_connection_status") == 0, 15, "status 0 while the DVR is down")
    wait_for(lambda: _value(services, "vv_agent_dvr_connection_errors_total") >= 3, 15,
             "refused reconnects to be counted (backoff capped at 1 s)")
    requests.post(control + "?state=up", timeout=5).raise_for_status()
    wait_for(lambda: _value(services, "vv_agent_dvr_connection_status") == 1, 15, "the reconnect")

    # A DVR slower than the read timeout: the stream counts as lost, then recovers when it speeds up.
    errors = _value(services, "vv_agent_dvr_connection_errors_total")
    requests.post(control + "?delay=2", timeout=5).raise_for_status()
    wait_for(lambda: _value(services, "vv_agent_dvr_connection_errors_total") > errors, 15, "the stall")
    requests.post(control + "?delay=0", timeout=5).raise_for_status()
    wait_for(lambda: _value(services, "vv_agent_dvr_video_segments_created_total") >= 1, 30, "a segment")
    segments = storage.entries("input")
    assert segments and all(p.name.startswith("dvr1-") and p.stat().st_size > 0 for p in segments)
    cap = cv2.VideoCapture(str(segments[0]))
    frames = 0
    while cap.read()[0]:
        frames += 1
    cap.release()
    assert frames >= 10       # a whole segment (at least a second at the simulator's 10 fps), readable


def _two_sites(pipeline_env, tmp_path):
    """The test inventory with a second site whose DVR is the simulator; the first site's DVR is a closed port."""
    inv_path, _, env = pipeline_env
    data = yaml.safe_load(inv_path.read_text())
    first = data["sites"][0]
    simulator = first["dvrs"][0]
    first["dvrs"] = [{**simulator, "port": free_port()}]
    second_root = tmp_path / "second-storage"
    second_root.mkdir()
    data["sites"].append({**copy.deepcopy(first), "name": "second", "video_storage_root": str(second_root),
                          "dvrs": [{**simulator, "name": "dvr2"}]})
    inv_path.write_text(yaml.safe_dump(data, sort_keys=False))
    return first["name"], second_root


def _samples(services, name: str) -> dict[str, float]:
    from prometheus_client.parser import text_string_to_metric_families
    return {s.labels["dvr"]: s.value for fam in text_string_to_metric_families(services.metrics("agent_dvr"))
            for s in fam.samples if s.name == name}


@pytest.mark.timeout(60)
def test_agent_follows_the_dvrs_and_storage_of_the_site_given_by_site(services, pipeline_env, tmp_path):
    _, first_root, _ = pipeline_env
    _, second_root = _two_sites(pipeline_env, tmp_path)
    services.start("dvr_simulator")
    services.start("agent_dvr", "--site", "second")
    wait_for(lambda: _samples(services, "vv_agent_dvr_connection_status") == {"dvr2": 1}, 15,
             "dvr2 of site 'second' to be connected (and no DVR of the first site followed)")
    wait_for(lambda: Storage(second_root).entries("input"), 20, "a segment under the second site's storage root")
    assert all(p.name.startswith("dvr2-") for p in Storage(second_root).entries("input"))
    assert not (first_root / "input").exists()


@pytest.mark.parametrize("module", sorted(set(LONG_RUNNING.values())))
def test_an_unknown_site_is_one_line_and_exit_2(module, pipeline_env, tmp_path):
    inv_path, _, env = pipeline_env
    first, _ = _two_sites(pipeline_env, tmp_path)
    done = subprocess.run([sys.executable, "-m", module, "--inventory", str(inv_path), "--site", "nowhere"],
                          capture_output=True, text=True, timeout=60, env={**os.environ, **env}, cwd=PROJECT_ROOT)
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "'nowhere'" in lines[0] and f"(known: {first}, second)" in lines[0], done.stderr


def test_pipeline_run_refuses_an_unknown_site_before_starting_anything(pipeline_env, tmp_path):
    inv_path, _, env = pipeline_env
    _two_sites(pipeline_env, tmp_path)
    done = subprocess.run([sys.executable, "-m", "vvdash", "--inventory", str(inv_path), "pipeline", "run",
                           "--site", "nowhere", "--log-dir", str(tmp_path / "logs")],
                          capture_output=True, text=True, timeout=60, env={**os.environ, **env}, cwd=PROJECT_ROOT)
    assert done.returncode == 2, done.stderr
    assert done.stderr.strip().count("\n") == 0 and "no site named 'nowhere'" in done.stderr, done.stderr
    assert not (tmp_path / "logs").exists(), sorted(p.name for p in (tmp_path / "logs").iterdir())


def test_pipeline_run_passes_the_site_to_every_service(pipeline_env, tmp_path):
    from pipeline.run import supervisor_for
    from vvdash.inventory import load
    inv_path, _, _ = pipeline_env
    _two_sites(pipeline_env, tmp_path)
    names = ["dvr_simulator", *LONG_RUNNING]
    sup = supervisor_for(load(inv_path), names, None, tmp_path / "logs", "second")
    for name in names:
        argv = sup.specs[name].argv
        assert argv[argv.index("--site") + 1] == "second", (name, argv)
    default = supervisor_for(load(inv_path), names, None, tmp_path / "logs")
    assert all("--site" not in default.specs[name].argv for name in names)
