"""Bad input: each file lands in corrupted/ with a reason (or is refused, for a symlink) and is counted."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import cv2

from pipeline import scan_video
from pipeline.dvr_scenes import Scene
from pipeline.process_once import build
from pipeline.signing import verify
from pipeline.storage import Storage
from pipeline_helpers import HMAC_KEY, write_clip, write_inventory
from tests.helpers import PROJECT_ROOT
from vvdash.inventory import load

EXPECTED = {
    "empty.mp4": "empty",
    "truncated.mp4": "truncated",
    "random bytes.mp4": "not_a_video",
    "picture.mp4": "not_a_video",
    "no frames.mp4": "undecodable",
    "x.mp4": "not_a_file",
    "ñandú — défaut.mp4": "not_a_video",
}
GOOD = ("ok one.mp4", "vidéo 東京.mp4")


def make_inputs(root, outside):
    inp = root / "input"
    inp.mkdir(parents=True, exist_ok=True)
    write_clip(inp / GOOD[0], 0, 20)
    write_clip(inp / GOOD[1], 60, 20)
    (inp / "empty.mp4").write_bytes(b"")
    whole = write_clip(root / "whole.mp4", 0, 20).read_bytes()
    (root / "whole.mp4").unlink()
    (inp / "truncated.mp4").write_bytes(whole[: len(whole) // 2])
    (inp / "random bytes.mp4").write_bytes(os.urandom(4096))
    ok, png = cv2.imencode(".png", Scene().frame(3))
    (inp / "picture.mp4").write_bytes(png.tobytes())
    writer = cv2.VideoWriter(str(inp / "no frames.mp4"), cv2.VideoWriter_fourcc(*"mp4v"), 10, (640, 360))
    writer.release()
    (inp / "x.mp4").mkdir()
    (inp / "x.mp4" / "inside.txt").write_text("a directory, not a video")
    (inp / "ñandú — défaut.mp4").write_bytes(b"\x00" * 100)
    outside.write_bytes(b"not for the pipeline")
    os.symlink(outside, inp / "link.mp4")


def test_every_bad_input_is_filed_with_a_reason_and_counted(tmp_path):
    inv_path, root, _ = write_inventory(tmp_path)
    outside = tmp_path / "outside.mp4"
    make_inputs(root, outside)
    inv = load(inv_path)
    storage = Storage(root).ensure()
    orch, registries = build(inv, storage)
    try:
        counts = orch.run_once()
    finally:
        orch.shutdown()

    assert counts == {"processed": 2, "corrupted": len(EXPECTED), "refused": 1, "retry": 0}
    assert sorted(p.name for p in storage.entries("processed")) == sorted(GOOD)
    for name, reason in EXPECTED.items():
        assert (root / "corrupted" / name).exists(), name
        doc = json.loads((root / "corrupted" / f"{name}.reason.json").read_text(encoding="utf-8"))
        assert (doc["file"], doc["reason"]) == (name, reason), doc
        assert doc["detail"]
    assert (root / "corrupted" / "x.mp4" / "inside.txt").exists()    # moved whole, nothing deleted
    # The symlink is refused and left untouched, and so is what it points to.
    assert os.readlink(root / "input" / "link.mp4") == str(outside)
    assert outside.read_bytes() == b"not for the pipeline"
    assert [p.name for p in storage.entries("input")] == ["link.mp4"]
    assert not any(storage.entries("processing"))

    orch_reg = registries["orchestrator"]
    for reason in set(EXPECTED.values()) | {"symlink"}:
        expected = list(EXPECTED.values()).count(reason) or 1
        assert orch_reg.get_sample_value("vv_videos_corrupted_total", {"reason": reason}) == expected, reason
    assert orch_reg.get_sample_value("vv_videos_processed_total", {"status": "corrupted"}) == len(EXPECTED)
    assert orch_reg.get_sample_value("vv_videos_processed_total", {"status": "success"}) == 2
    assert orch_reg.get_sample_value("vv_files_in_corrupted") == len(EXPECTED)
    assert orch_reg.get_sample_value("vv_videos_in_input_queue") == 0   # the refused link is not waiting
    scan_reg = registries["scan_video"]
    assert scan_reg.get_sample_value("vv_scan_video_processed_total", {"status": "corrupted"}) == 6  # dir not sent

    lines = [f.read_text(encoding="utf-8") for f in storage.logline_files()]
    assert sorted(verify(line, HMAC_KEY.encode())["video"] for line in lines) == sorted(GOOD)


def test_process_once_command_prints_a_summary_and_exits_0_despite_corrupt_inputs(tmp_path):
    inv_path, root, env = write_inventory(tmp_path)
    make_inputs(root, tmp_path / "outside.mp4")
    r = subprocess.run([sys.executable, "-m", "vvdash", "--inventory", str(inv_path), "pipeline", "process",
                        "--once", "--storage-root", str(root)], capture_output=True, text=True, timeout=120,
                       cwd=PROJECT_ROOT, env={**os.environ, **env})
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("processed 2, corrupted 7, refused 1, left for retry 0, still in input/ 1")
    assert "corrupted/random bytes.mp4: not_a_video (not a video container (unknown content))" in r.stdout
    assert "corrupted/picture.mp4: not_a_video (not a video container (PNG image))" in r.stdout
    assert "input/link.mp4: refused: a symlink to" in r.stderr


def test_analytic_failing_its_schema_is_counted_never_written_and_the_input_filed(tmp_path, monkeypatch):
    inv_path, root, _ = write_inventory(tmp_path)
    storage = Storage(root).ensure()
    write_clip(storage.input / "a.mp4", 0, 20)
    orch, registries = build(load(inv_path), storage)
    real = scan_video.analyse
    monkeypatch.setattr("pipeline.scan_video.analyse", lambda *a: {**real(*a), "motion_ratio": 7.0})
    try:
        counts = orch.run_once()
    finally:
        orch.shutdown()
    assert counts["corrupted"] == 1 and counts["processed"] == 0
    assert not any(storage.analytics.iterdir())
    assert registries["scan_video"].get_sample_value("vv_scan_video_schema_validation_errors_total") == 1
    doc = json.loads((root / "corrupted" / "a.mp4.reason.json").read_text())
    assert doc["reason"] == "analytic_schema_invalid" and "motion_ratio" in doc["detail"]


def test_process_once_without_a_key_stops_with_one_line(tmp_path):
    inv_path, root, env = write_inventory(tmp_path, key=False)
    r = subprocess.run([sys.executable, "-m", "vvdash", "--inventory", str(inv_path), "pipeline", "process",
                        "--once", "--storage-root", str(root)], capture_output=True, text=True, timeout=60,
                       cwd=PROJECT_ROOT, env={**os.environ, **env})
    assert r.returncode == 2
    assert "pipeline.hmac_key: cannot read secret file" in r.stderr and len(r.stderr.strip().splitlines()) == 1
