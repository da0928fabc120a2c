"""agent_dvr against the simulated DVR's faults: down, back up, slowed past the read timeout."""

from __future__ import annotations

import time

import cv2
import pytest
import requests

from pipeline.storage import Storage
from pipeline_helpers import wait_for


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
