"""Moves never replace an entry, survive a crash between link and unlink, and keep a video's id;
an unexpected error returns the video to input/ (seen in the queue) and, repeated, files it as corrupted."""

from __future__ import annotations

import json
import os
import shutil
import time

import pytest
from prometheus_client import CollectorRegistry

from pipeline.orchestrator import UNEXPECTED_ATTEMPTS, Orchestrator
from pipeline.process_once import build
from pipeline.storage import Storage, original_name, video_id
from pipeline_helpers import write_clip, write_inventory
from vvdash.catalog.instrument import instruments
from vvdash.inventory import load

WORKERS = {"scan": 1, "summarize": 1, "logline": 1}


def test_a_name_that_appears_between_the_check_and_the_move_is_never_replaced(tmp_path, monkeypatch):
    storage = Storage(tmp_path).ensure()
    src = storage.processing / "a.mp4"
    src.write_bytes(b"the video")
    real_link = os.link
    appeared = storage.processed / "a.mp4"

    def link_after_a_newcomer(source, dest, **kw):
        if str(dest) == str(appeared) and not appeared.exists():
            appeared.write_bytes(b"someone else's file")     # lands after any check move() made
        return real_link(source, dest, **kw)
    monkeypatch.setattr(os, "link", link_after_a_newcomer)

    dest = storage.move(src, "processed")
    assert dest == storage.processed / "a~1.mp4"
    assert dest.read_bytes() == b"the video"
    assert appeared.read_bytes() == b"someone else's file"
    assert not src.exists()


class Killed(BaseException):
    """The process dying at that instant: nothing after it runs."""


def test_a_move_cut_short_between_link_and_unlink_drops_only_the_moved_link(tmp_path, monkeypatch):
    storage = Storage(tmp_path).ensure()
    a = storage.input / "a.mp4"
    a.write_bytes(b"one file under two input names")
    os.link(a, storage.input / "b.mp4")                     # a second input, hard-linked to the first
    (storage.processed / "c.mp4").write_bytes(b"two links and no journal record")
    os.link(storage.processed / "c.mp4", storage.processing / "c.mp4")
    real_unlink = os.unlink

    def die_before_unlinking_a(path, *args, **kw):
        if str(path) == str(a):
            raise Killed()
        return real_unlink(path, *args, **kw)
    monkeypatch.setattr(os, "unlink", die_before_unlinking_a)
    with pytest.raises(Killed):
        storage.move(a, "processing")
    monkeypatch.undo()
    assert a.exists() and (storage.processing / "a.mp4").exists()        # the crash left two links

    removed = storage.finish_moves()

    assert removed == [a]
    assert [p.name for p in storage.entries("input")] == ["b.mp4"]      # the other input is not a leftover
    assert sorted(p.name for p in storage.entries("processing")) == ["a.mp4", "c.mp4"]
    assert (storage.processed / "c.mp4").exists()                       # nothing without a record is touched
    assert not list((storage.tmp / "moves").iterdir())


def test_a_journal_record_of_a_running_process_is_left_alone(tmp_path):
    storage = Storage(tmp_path).ensure()
    (storage.tmp / "moves").mkdir()
    (storage.input / "a.mp4").write_bytes(b"being moved by a live agent")
    os.link(storage.input / "a.mp4", storage.processing / "a.mp4")
    record = storage.tmp / "moves" / f"{os.getppid()}-abc.move"
    record.write_text(json.dumps({"src": "input/a.mp4", "dest": "processing/a.mp4"}))

    assert storage.finish_moves() == []
    assert (storage.input / "a.mp4").exists() and record.exists()


def test_a_tilde_copy_of_the_same_input_has_the_same_id_and_gets_no_second_logline(tmp_path):
    assert original_name("cam 01~1.mp4") == "cam 01.mp4"
    assert original_name("cam 01~1~2.mp4") == "cam 01.mp4"
    assert original_name("noext~3") == "noext"
    assert original_name("plain.mp4") == "plain.mp4"

    inv_path, root, _ = write_inventory(tmp_path)
    storage = Storage(root).ensure()
    write_clip(storage.input / "cam 01.mp4", 0, 20)
    orch, registries = build(load(inv_path), storage)
    try:
        assert orch.run_once()["processed"] == 1
        # The same video back under a ~N name (as a move into a taken name leaves it): same id.
        shutil.copyfile(storage.processed / "cam 01.mp4", storage.input / "cam 01~1.mp4")
        assert video_id(storage.input / "cam 01~1.mp4") == video_id(storage.processed / "cam 01.mp4")
        (storage.input / "cam 02.mp4").write_bytes((storage.processed / "cam 01.mp4").read_bytes())
        assert video_id(storage.input / "cam 02.mp4") != video_id(storage.processed / "cam 01.mp4")
        orch.run_once()
    finally:
        orch.shutdown()

    assert sorted(p.name for p in storage.entries("processed")) == ["cam 01.mp4", "cam 01~1.mp4", "cam 02.mp4"]
    assert len(storage.logline_files()) == 2           # cam 01 once, cam 02 once
    logline = registries["logline_generator"]
    assert logline.get_sample_value("vv_logline_generated_total", {"status": "success"}) == 2
    assert logline.get_sample_value("vv_logline_generated_total", {"status": "duplicate"}) == 1


class RaisingStages:
    """Stage calls that raise (a bug, not a stage's answer) for the first `raises` summarize calls of a video."""

    def __init__(self, raises: dict[str, int]):
        self.raises = raises
        self.calls: dict[str, int] = {}

    def call(self, stage: str, request: dict) -> dict:
        if stage == "summarize":
            vid = request["video_id"]
            self.calls[vid] = self.calls.get(vid, 0) + 1
            if self.calls[vid] <= self.raises.get(vid, 0):
                raise RuntimeError("boom")
        return {"status": "ok"}


def step(orch: Orchestrator) -> None:
    """Claim what is due and wait until it is filed (bounded)."""
    orch.claim_next()
    deadline = time.monotonic() + 10
    while orch.busy():
        assert time.monotonic() < deadline, "a claimed video was never filed"
        time.sleep(0.01)


def test_an_unexpected_error_returns_the_video_to_input_and_repeated_ones_file_it_as_corrupted(tmp_path):
    storage = Storage(tmp_path).ensure()
    (storage.input / "flaky.mp4").write_bytes(b"raises once")
    (storage.input / "broken.mp4").write_bytes(b"raises every time")
    flaky, broken = video_id(storage.input / "flaky.mp4"), video_id(storage.input / "broken.mp4")
    registry = CollectorRegistry()
    orch = Orchestrator(storage, RaisingStages({flaky: 1, broken: 99}), WORKERS,
                        instruments("orchestrator", registry), retry_seconds=0, settle_seconds=0)
    queue = []
    try:
        for _ in range(UNEXPECTED_ATTEMPTS):
            step(orch)
            assert not storage.entries("processing")          # never stranded there
            queue.append(registry.get_sample_value("vv_videos_in_input_queue"))
    finally:
        orch.shutdown()

    assert queue[0] == 2                  # both back in input/ and counted as waiting after the first error
    assert [p.name for p in storage.entries("processed")] == ["flaky.mp4"]
    assert [p.name for p in storage.corrupted_videos()] == ["broken.mp4"]
    doc = json.loads((storage.corrupted / "broken.mp4.reason.json").read_text(encoding="utf-8"))
    assert doc["reason"] == "unexpected_error" and "RuntimeError: boom" in doc["detail"]
    assert orch.stages.calls == {flaky: 2, broken: UNEXPECTED_ATTEMPTS}
    assert not storage.entries("input")
    assert registry.get_sample_value("vv_videos_corrupted_total", {"reason": "unexpected_error"}) == 1
    failures = 1 + (UNEXPECTED_ATTEMPTS - 1)          # flaky once; broken until its last attempt
    assert registry.get_sample_value("vv_videos_processed_total", {"status": "failure"}) == failures
    assert registry.get_sample_value("vv_videos_processed_total", {"status": "corrupted"}) == 1
    assert registry.get_sample_value("vv_videos_processed_total", {"status": "success"}) == 1
