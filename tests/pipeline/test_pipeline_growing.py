"""A file still being written into input/ is not claimed until it is finished, and no fragment of it
ever reaches corrupted/ (pipeline/settle.py)."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

from pipeline import sample_clips
from pipeline.process_once import build
from pipeline.settle import SettleWatch, written_inodes
from pipeline.storage import Storage
from pipeline_helpers import start_writer, wait_for, write_clip, write_inventory
from vvdash.inventory import load

def test_a_file_open_for_writing_is_not_ready_however_still(tmp_path):
    path = tmp_path / "held.avi"
    path.write_bytes(b"RIFF")
    holder = subprocess.Popen([sys.executable, "-c", f"f = open({str(path)!r}, 'ab'); import time; time.sleep(30)"])
    try:
        st = path.stat()
        wait_for(lambda: (st.st_dev, st.st_ino) in written_inodes(), 10, "the holder to open the file")
        watch = SettleWatch(0.2)
        time.sleep(0.3)
        assert watch.ready([path]) == []
    finally:
        holder.kill()
        holder.wait()
    assert watch.ready([path]) == [path]


def test_a_file_is_ready_only_once_its_size_and_mtime_have_been_still(tmp_path):
    path = tmp_path / "fresh.avi"
    path.write_bytes(b"RIFF....")
    watch = SettleWatch(0.5)
    assert watch.ready([path]) == []                  # just written
    time.sleep(0.3)
    with open(path, "ab") as fh:
        fh.write(b"more")                              # changed: the clock starts again
    time.sleep(0.3)
    assert watch.ready([path]) == []
    wait_for(lambda: watch.ready([path]) == [path], 5, "the file to settle")
    old = tmp_path / "old.avi"
    old.write_bytes(b"RIFF")
    past = time.time() - 60
    os.utime(old, (past, past))
    assert SettleWatch(0.5).ready([old]) == [old]     # untouched for a minute: ready at first sight


@pytest.mark.skipif(sample_clips.source("tree.avi") is None, reason="opencv-doc sample clips absent: make samples")
@pytest.mark.timeout(120)
def test_growing_inputs_are_processed_whole_once_and_never_filed_as_fragments(tmp_path):
    inv_path, root, _ = write_inventory(tmp_path, settle_seconds=0.5)
    storage = Storage(root).ensure()
    src = sample_clips.clip("tree.avi", tmp_path)
    write_clip(storage.input / "finished.mp4", 0, 20)
    writers = [start_writer(src, storage.input / "grow-held.avi", "held", 0.05),
               start_writer(src, storage.input / "grow-reopen.avi", "reopen", 0.1)]
    try:
        wait_for(lambda: (storage.input / "grow-held.avi").exists() and (storage.input / "grow-reopen.avi").exists(),
                 10, "the writers to start")
        orch, registries = build(load(inv_path), storage)
        try:
            counts = orch.run_once(poll=0.02)
        finally:
            orch.shutdown()
        assert all(w.poll() is not None for w in writers), "claimed before its writer finished"
    finally:
        for w in writers:
            if w.poll() is None:
                w.kill()
            w.wait()

    assert counts["processed"] == 3 and counts["corrupted"] == 0, counts
    assert sorted(p.name for p in storage.entries("processed")) == ["finished.mp4", "grow-held.avi",
                                                                      "grow-reopen.avi"]
    assert storage.entries("corrupted") == [] and storage.entries("input") == []
    whole = src.stat().st_size
    assert (storage.processed / "grow-held.avi").stat().st_size == whole
    assert (storage.processed / "grow-reopen.avi").stat().st_size == whole
