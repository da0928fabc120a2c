"""Workers per stage: the orchestrator runs up to N items in a stage at once, and never more."""

from __future__ import annotations

import threading

from prometheus_client import CollectorRegistry

from pipeline.orchestrator import Orchestrator
from pipeline.storage import Storage
from vvdash.catalog.instrument import instruments


WORKERS = {"scan": 3, "summarize": 1, "logline": 2}
FULL_TIMEOUT = 30.0   # only a broken limit (never reaching it) waits this long


class CountingStages:
    """Stage calls that record how many run at the same time, per stage.

    The first calls of a stage are held until as many as its worker limit run at once (an Event,
    not a sleep), so the peak is reached however slow the machine is; every later call returns at once.
    """

    def __init__(self, registry, limits: dict[str, int]):
        self.registry = registry
        self.limits = limits
        self.running = {stage: 0 for stage in limits}
        self.peak = dict(self.running)
        self.gauge_peak = dict(self.running)
        self.full = {stage: threading.Event() for stage in limits}
        self.lock = threading.Lock()

    def call(self, stage: str, request: dict) -> dict:
        with self.lock:
            self.running[stage] += 1
            self.peak[stage] = max(self.peak[stage], self.running[stage])
            active = self.registry.get_sample_value("vv_pipeline_stage_active_processors", {"stage": stage})
            self.gauge_peak[stage] = max(self.gauge_peak[stage], active)
            if self.running[stage] >= self.limits[stage]:
                self.full[stage].set()
        self.full[stage].wait(FULL_TIMEOUT)
        with self.lock:
            self.running[stage] -= 1
        return {"status": "ok"}


def test_each_stage_runs_at_most_its_configured_workers(tmp_path):
    storage = Storage(tmp_path).ensure()
    for i in range(6):
        (storage.input / f"v{i}.mp4").write_bytes(b"\x00\x00\x00\x18ftypmp42" + bytes([i]) * 64)
    registry = CollectorRegistry()
    stages = CountingStages(registry, WORKERS)
    orch = Orchestrator(storage, stages, WORKERS, instruments("orchestrator", registry))
    try:
        counts = orch.run_once(poll=0.01)
    finally:
        orch.shutdown()
    assert counts["processed"] == 6
    assert stages.peak == WORKERS                 # each limit reached, none exceeded
    assert stages.gauge_peak == WORKERS           # and the gauge showed it while it happened
    for stage, n in WORKERS.items():
        assert registry.get_sample_value("vv_pipeline_stage_workers", {"stage": stage}) == n
        assert registry.get_sample_value("vv_pipeline_stage_active_processors", {"stage": stage}) == 0
    assert registry.get_sample_value("vv_video_processing_duration_seconds_count", {"status": "success"}) == 6
