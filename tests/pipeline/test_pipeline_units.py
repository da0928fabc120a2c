"""Detectors fire on the simulator's frames; signing; schemas; the summarizer's BitNet client."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import cv2
import pytest
from prometheus_client import CollectorRegistry

from pipeline.dvr_scenes import Scene
from pipeline.scan_video import Detectors
from pipeline.schemas import first_error
from pipeline.signing import SignatureError, sign, verify
from pipeline.storage import Storage
from pipeline.summarize_scene import Summarizer
from vvdash.catalog.instrument import instruments


def test_simulator_frames_make_hog_and_haar_fire_and_the_empty_street_does_not():
    scene, det = Scene(), Detectors.load()
    people = faces = empty_hits = 0
    for n in range(0, scene.scene_frames * 3, 5):
        frame = cv2.resize(scene.frame(n), (512, 288))
        gray = cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)
        p, _ = det.hog.detectMultiScale(frame, winStride=(8, 8), scale=1.15)
        f = det.faces.detectMultiScale(gray, scaleFactor=1.2, minNeighbors=4, minSize=(40, 40))
        if scene.kind(n) == 2:
            empty_hits += len(p) + len(f)
        people += len(p)
        faces += len(f)
    assert people >= 10
    assert faces >= 5
    assert empty_hits == 0


def test_signed_line_verifies_and_any_change_is_caught():
    key = b"k1"
    line = sign({"video": "a.mp4", "people": 2}, key)
    assert verify(line, key) == {"video": "a.mp4", "people": 2}
    with pytest.raises(SignatureError, match="mismatch"):
        verify(line.replace('"people":2', '"people":3'), key)
    with pytest.raises(SignatureError, match="mismatch"):
        verify(line, b"other key")
    with pytest.raises(SignatureError, match="unsigned"):
        verify(json.dumps({"video": "a.mp4"}), key)
    with pytest.raises(SignatureError, match="not JSON"):
        verify("{broken", key)


def test_schema_errors_name_the_key():
    assert first_error("summary", {"schema": "vv.summary/1"}).startswith("summary.schema.json: (top level): ")
    assert "people" in first_error("logline", {
        "schema": "vv.logline/1", "video_id": "0" * 24, "video": "a.mp4", "created_at": "2026-01-01T00:00:00Z",
        "duration_seconds": 1, "people": -1, "faces": 0, "activity": "none", "tags": [], "summary": "x",
        "backend": "builtin"})


ANALYTIC = {"schema": "vv.analytic/1", "video_id": "a" * 24, "video": "a.mp4", "fps": 10, "frame_count": 20,
            "duration_seconds": 2.0, "sample_fps": 2, "frames_scanned": 4, "width": 640, "height": 360,
            "motion_ratio": 0.03, "people_max": 2, "faces_max": 1, "objects": {"person": 5, "face": 2},
            "samples": []}


class _BitNet(BaseHTTPRequestHandler):
    """Stand-in for a bitnet.cpp (llama.cpp) server: its OpenAI-style POST /v1/completions."""
    delay = 0.0
    prompts: list = []

    def log_message(self, *a):
        pass

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        _BitNet.prompts.append(body)
        if _BitNet.delay:
            threading.Event().wait(_BitNet.delay)
        out = json.dumps({"object": "text_completion", "model": body["model"],
                          "choices": [{"index": 0, "text": " Two people walk past the camera.",
                                       "finish_reason": "stop"}]}).encode()
        try:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(out)))
            self.end_headers()
            self.wfile.write(out)
        except (BrokenPipeError, ConnectionResetError):
            pass


@pytest.fixture
def bitnet_server():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _BitNet)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def _sample(registry, name, **labels):
    return registry.get_sample_value(name, labels) or 0.0


def test_bitnet_backend_summarizes_through_the_server_and_counts_timeouts(tmp_path, bitnet_server):
    storage = Storage(tmp_path).ensure()
    storage.analytic_path("a" * 24).write_text(json.dumps(ANALYTIC))
    storage.analytic_path("b" * 24).write_text(json.dumps({**ANALYTIC, "video_id": "b" * 24}))
    registry = CollectorRegistry()
    metrics = instruments("summarize_scene", registry)
    config = {"backend": "bitnet", "bitnet_url": bitnet_server, "timeout_seconds": 0.5,
              "model_name": "bitnet-b1.58-2B-4T", "model_version": "1"}
    summarizer = Summarizer(storage, config, metrics)
    info = dict(backend="bitnet", model_name="bitnet-b1.58-2B-4T", model_version="1")
    assert _sample(registry, "vv_summarize_scene_model_loaded_info", **info) == 0

    assert summarizer.summarize("a" * 24)["status"] == "ok"
    doc = json.loads(storage.summary_path("a" * 24).read_text())
    assert doc["text"] == "Two people walk past the camera." and doc["backend"] == "bitnet"
    assert "People (max in one frame): 2" in _BitNet.prompts[-1]["prompt"]
    assert _sample(registry, "vv_summarize_scene_model_loaded_info", **info) == 1
    assert _sample(registry, "vv_summarize_scene_bitnet_inference_duration_seconds_count", backend="bitnet") == 1

    _BitNet.delay = 1.5
    try:
        answer = summarizer.summarize("b" * 24)
    finally:
        _BitNet.delay = 0.0
    assert answer["status"] == "failure" and "no answer within" in answer["detail"]
    assert not storage.summary_path("b" * 24).exists()
    assert _sample(registry, "vv_summarize_scene_inferences_total", backend="bitnet", status="failure") == 1
    assert _sample(registry, "vv_summarize_scene_processed_total", status="failure") == 1
    assert _sample(registry, "vv_summarize_scene_model_loaded_info", **info) == 0


def test_summary_failing_its_schema_is_counted_and_not_written(tmp_path, monkeypatch):
    storage = Storage(tmp_path).ensure()
    storage.analytic_path("a" * 24).write_text(json.dumps(ANALYTIC))
    registry = CollectorRegistry()
    config = {"backend": "builtin", "timeout_seconds": 1, "model_name": "m", "model_version": "1"}
    summarizer = Summarizer(storage, config, instruments("summarize_scene", registry))
    monkeypatch.setattr("pipeline.summarize_scene.tags", lambda a: ["people", "people"])  # not unique
    answer = summarizer.summarize("a" * 24)
    assert answer["reason"] == "summary_schema_invalid"
    assert not storage.summary_path("a" * 24).exists()
    assert _sample(registry, "vv_summarize_scene_schema_validation_errors_total") == 1


def test_scan_service_refuses_paths_outside_the_root_and_symlinks(tmp_path):
    import os

    from pipeline.scan_video import Scanner
    storage = Storage(tmp_path / "root").ensure()
    outside = tmp_path / "outside.mp4"
    outside.write_bytes(b"\x00\x00\x00\x18ftypmp42")
    os.symlink(outside, storage.processing / "link.mp4")
    scanner = Scanner(storage, 2.0, None)
    for path in ("../outside.mp4", str(outside), "processing/link.mp4", "processing/../../outside.mp4"):
        answer = scanner.handle({"video_id": "a" * 24, "path": path})
        assert (answer["status"], answer["reason"]) == ("corrupted", "refused_path"), path
    assert outside.read_bytes() == b"\x00\x00\x00\x18ftypmp42"
    assert not any(storage.analytics.iterdir())


def test_a_person_counts_only_when_a_neighbouring_sample_confirms_it():
    from pipeline.detection import confirmed_counts, drop_spanning, nms
    walker = [(100 + 20 * i, 50, 40, 80, 2.0) for i in range(3)]        # moves a little each sample
    flash = (300, 40, 40, 80, 1.0)                                       # one sample only
    people = [[walker[0]], [walker[1], flash], [walker[2]]]
    assert confirmed_counts(people, [0.0, 0.5, 1.0], 0.5) == [1, 1, 1]
    assert confirmed_counts(people, [0.0, 5.0, 10.0], 5.0) == [1, 2, 1]    # sparse samples: not compared
    assert confirmed_counts([[flash]], [0.0], 0.5) == [1]
    # Overlapping boxes of one person are one; a box around two people is dropped.
    assert len(nms([(0, 0, 40, 80, 1.0), (4, 4, 36, 72, 2.0)])) == 1
    group = [(0, 0, 100, 200, 1.5), (5, 20, 40, 80, 1.0), (55, 20, 40, 80, 1.0)]
    assert sorted(b[0] for b in drop_spanning(group)) == [5, 55]
