"""kill -9 the orchestrator at random moments: no video lost, no logline duplicated.

Among the inputs: pairs of hard links to one file (two inputs, each to be processed once; a crash
between the link and unlink of a claim must not delete the other name) and a file still being
written while the kills happen (claimed only once whole: never a prefix, never a fragment)."""

from __future__ import annotations

import os
import random
import re
import time

import pytest

from pipeline.signing import verify
from pipeline.storage import Storage
from pipeline_helpers import HMAC_KEY, start_writer, wait_for, write_clip

# Enough videos that the queue cannot drain before the last kill: each run of the
# orchestrator finishes up to ~4 of them before it is killed.
N_VIDEOS = 20
N_KILLS = 4
LINKED = (1, 2, 8, 12)      # these inputs get a second name, a hard link to the same file


@pytest.mark.timeout(240)
def test_orchestrator_killed_repeatedly_loses_nothing_and_writes_each_logline_once(services, pipeline_env, tmp_path):
    _, root, _ = pipeline_env
    storage = Storage(root).ensure()
    names = [f"cam {i:02d}.mp4" for i in range(N_VIDEOS)]
    bad = {names[3], names[6]}
    for i, name in enumerate(names):
        if name in bad:
            (storage.input / name).write_bytes(os.urandom(2048))
        else:
            write_clip(storage.input / name, start=i * 17, frames=50)
    for i in LINKED:
        os.link(storage.input / names[i], storage.input / f"cam {i:02d} link.mp4")
        names.append(f"cam {i:02d} link.mp4")
    growing = write_clip(tmp_path / "growing source.mp4", start=5, frames=60)
    names.append("growing.mp4")
    for name in ("scan_video", "summarize_scene", "logline_generator"):
        services.start(name)
    # Written in small pieces for about as long as the kills go on, held open all along.
    writer = start_writer(growing, storage.input / "growing.mp4", "held", 0.15, chunk=growing.stat().st_size // 40)

    seed = random.randrange(1 << 30)
    rng = random.Random(seed)
    for _ in range(N_KILLS):
        services.start("orchestrator", "--poll-seconds", "0.05", "--retry-seconds", "0.2")
        # Kill while a video is claimed, at a random point of its way through the stages.
        wait_for(lambda: storage.entries("processing"), 10, "a claimed video", step=0.01)
        time.sleep(rng.uniform(0.0, 0.4))
        services.kill("orchestrator")               # SIGKILL to the process group: no cleanup runs

    services.start("orchestrator", "--poll-seconds", "0.05", "--retry-seconds", "0.2")
    assert writer.wait(timeout=30) == 0
    try:
        wait_for(lambda: not storage.entries("input") and not storage.entries("processing"), 150,
                 f"the pipeline to drain (seed {seed})")
    except AssertionError:
        left = [storage.relative(p) for p in storage.entries("input") + storage.entries("processing")]
        log = services.procs["orchestrator"].log_path.read_text(encoding="utf-8")[-3000:]
        raise AssertionError(f"not drained (seed {seed}): {left}\n{log}") from None

    processed = {p.name for p in storage.entries("processed")}
    corrupted = {p.name for p in storage.corrupted_videos()}
    assert processed | corrupted == set(names), seed
    assert not processed & corrupted, seed
    assert corrupted == bad, seed
    assert (storage.processed / "growing.mp4").read_bytes() == growing.read_bytes(), seed
    for name in corrupted:
        assert (storage.corrupted / f"{name}.reason.json").exists(), name

    files = storage.logline_files()
    assert len(files) == len(processed), seed
    videos = []
    for f in files:
        lines = f.read_text(encoding="utf-8").splitlines()
        assert len(lines) == 1, f
        videos.append(verify(lines[0], HMAC_KEY.encode())["video"])
    assert sorted(videos) == sorted(processed), seed
    log = services.procs["orchestrator"].log_path.read_text(encoding="utf-8")
    assert re.search(r"resuming [0-9]+ video\(s\) left in processing/", log), seed   # a kill did hit mid-way
