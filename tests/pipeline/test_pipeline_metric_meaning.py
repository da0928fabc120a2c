"""The orchestrator's timing and queue metrics measure what their names say; FFmpeg's own messages
reach the service log as prefixed lines."""

from __future__ import annotations

import threading
import time

import pytest
import requests
from prometheus_client import CollectorRegistry

from pipeline import sample_clips
from pipeline.orchestrator import Orchestrator
from pipeline.reasons import CORRUPTED_REASONS
from pipeline.storage import Storage
from pipeline_helpers import wait_for
from vvdash.catalog.instrument import instruments

HOLD = 0.3     # how long the first video is held in scan: at least that long the others wait


class GatedStages:
    """Scan waits for the gate to open; every stage then answers ok at once."""

    def __init__(self):
        self.gate = threading.Event()

    def call(self, stage: str, request: dict) -> dict:
        if stage == "scan":
            self.gate.wait(30)
        return {"status": "ok"}


def test_processing_time_leaves_out_the_wait_and_the_queue_counts_claimed_waiting_videos(tmp_path):
    storage = Storage(tmp_path).ensure()
    for name in ("a.mp4", "b.mp4", "c.mp4"):
        (storage.input / name).write_bytes(name.encode())
    registry = CollectorRegistry()
    stages = GatedStages()
    orch = Orchestrator(storage, stages, {"scan": 1, "summarize": 1, "logline": 1},
                        instruments("orchestrator", registry), settle_seconds=0)
    value = registry.get_sample_value
    try:
        assert orch.claim_next() == 3
        assert not storage.entries("input")
        wait_for(lambda: value("vv_pipeline_stage_active_processors", {"stage": "scan"}) == 1, 10, "a scan")
        assert value("vv_videos_in_input_queue") == 2        # claimed, waiting for the one scan worker
        time.sleep(HOLD)
        stages.gate.set()
        wait_for(lambda: not orch.busy(), 10, "the videos to be filed")
    finally:
        stages.gate.set()
        orch.shutdown()
    orch.refresh_gauges()
    assert value("vv_videos_in_input_queue") == 0
    assert value("vv_video_queue_wait_seconds_count") == 3
    waited = value("vv_video_queue_wait_seconds_sum")
    processing = value("vv_video_processing_duration_seconds_sum", {"status": "success"})
    assert waited >= 2 * HOLD                   # b and c both waited while a was held
    assert processing >= HOLD                   # a's time in scan is processing time...
    assert processing < waited                  # ...the others' wait is not


def test_every_known_corrupted_reason_is_exposed_from_the_start(tmp_path):
    registry = CollectorRegistry()
    Orchestrator(Storage(tmp_path).ensure(), GatedStages(), {}, instruments("orchestrator", registry)).shutdown()
    for reason in CORRUPTED_REASONS:
        assert registry.get_sample_value("vv_videos_corrupted_total", {"reason": reason}) == 0, reason
    assert "truncated" in CORRUPTED_REASONS


@pytest.mark.skipif(sample_clips.source("box.mp4") is None, reason="opencv-doc sample clips absent: make samples")
def test_ffmpeg_messages_reach_the_service_log_with_a_prefix(services, pipeline_env):
    _, root, _ = pipeline_env
    storage = Storage(root).ensure()
    sample_clips.clip("box.mp4", storage.processing)       # its h264 stream makes FFmpeg complain
    proc = services.start("scan_video")
    r = requests.post(services.url("scan_video", "/process"),
                      json={"video_id": "2" * 24, "path": "processing/box.mp4"}, timeout=120)
    assert r.json()["status"] == "ok", r.text
    log = wait_for(lambda: (text := proc.log_path.read_text(encoding="utf-8", errors="replace"))
                   and "ffmpeg: [h264" in text and text, 10, "FFmpeg's lines in the log")
    lines = log.splitlines()
    assert any(" scan_video WARNING ffmpeg: [h264 @ " in line for line in lines), log[-2000:]
    assert not [line for line in lines if line.startswith("[")], log[-2000:]   # nothing raw on stderr
