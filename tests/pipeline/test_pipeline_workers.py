"""Workers per stage: the orchestrator runs up to N items in a stage at once, and never more."""

from __future__ import annotations

import threading
import time

from prometheus_client import CollectorRegistry

from pipeline.orchestrator import Orchestrator
from pipeline.storage import Storage
from vvdash.catalog.instrument import instruments


class CountingStages:
    """Stage calls that take a while and record how many run at the same time, per stage."""

    def __init__(self, registry):
        self.registry = registry
        self.running = {"scan": 0, "summarize": 0, "logline": 0}
        self.peak = dict(self.running)
        self.gauge_peak = dict(self.running)
        self.lock = threading.Lock()

    def call(self, stage: str, request: dict) -> dict:
        with self.lock:
            self.running[stage] += 1
            self.peak[stage] = max(self.peak[stage], self.running[stage])
            active = self.registry.get_sample_value("vv_pipeline_stage_active_processors", {"stage": stage})
            self.gauge_peak[stage] = max(self.gauge_peak[stage], active)
        time.sleep(0.15)
        with self.lock:
            self.running[stage] -= 1
        return {"status": "ok"}


def test_each_stage_runs_at_most_its_configured_workers(tmp_path):
    storage = Storage(tmp_path).ensure()
    for i in range(6):
        (storage.input / f"v{i}.mp4").write_bytes(b"\x00\x00\x00\x18ftypmp42" + bytes([i]) * 64)
    registry = CollectorRegistry()
    stages = CountingStages(registry)
    orch = Orchestrator(storage, stages, {"scan": 3, "summarize": 1, "logline": 2},
                        instruments("orchestrator", registry))
    try:
        counts = orch.run_once(poll=0.01)
    finally:
        orch.shutdown()
    assert counts["processed"] == 6
    assert stages.peak == {"scan": 3, "summarize": 1, "logline": stages.peak["logline"]}
    assert 1 <= stages.peak["logline"] <= 2
    assert stages.gauge_peak["scan"] == 3 and stages.gauge_peak["summarize"] == 1
    for stage, n in (("scan", 3), ("summarize", 1), ("logline", 2)):
        assert registry.get_sample_value("vv_pipeline_stage_workers", {"stage": stage}) == n
        assert registry.get_sample_value("vv_pipeline_stage_active_processors", {"stage": stage}) == 0
    assert registry.get_sample_value("vv_video_processing_duration_seconds_count", {"status": "success"}) == 6
