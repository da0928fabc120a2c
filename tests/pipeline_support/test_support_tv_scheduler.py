"""tv_scheduler: only verified loglines reach a playlist; the selection policy; atomic writes."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timedelta, UTC

import pytest
from prometheus_client import CollectorRegistry, generate_latest
from support_helpers import value

from pipeline.signing import sign
from pipeline.storage import Storage
from pipeline.tv_scheduler import Scheduler

KEY = b"tv-scheduler-test-key"
NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


def record(name: str, hours_ago: float, people: int = 1, faces: int = 0, summary: str = "") -> dict:
    vid = hashlib.sha256(name.encode()).hexdigest()[:24]
    created = (NOW - timedelta(hours=hours_ago)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return {"schema": "vv.logline/1", "video_id": vid, "video": name, "created_at": created,
            "duration_seconds": 10.0, "people": people, "faces": faces, "activity": "low", "tags": ["people"],
            "summary": summary or f"Scene {name}.", "backend": "builtin"}


def write(storage: Storage, rec: dict, line: str | None = None, video: bool = True) -> None:
    storage.loglines.mkdir(parents=True, exist_ok=True)
    storage.processed.mkdir(parents=True, exist_ok=True)
    if video:
        (storage.processed / rec["video"]).write_bytes(b"video")
    (storage.logline_path(rec["video_id"])).write_text((line or sign(rec, KEY)) + "\n")


@pytest.fixture
def storage(root):
    return Storage(root)


def scheduler(storage, tvs):
    registry = CollectorRegistry()
    return Scheduler(storage, tvs, KEY, registry), registry


def playlist(storage, tv_id):
    doc = json.loads((storage.root / "playlists" / f"{tv_id}.json").read_text())
    return [item["path"] for item in doc["items"]]


def test_a_tampered_logline_never_reaches_a_playlist_and_is_counted(storage):
    good = record("good.mp4", 1)
    write(storage, good)
    evil = record("evil.mp4", 0.5, summary="Harmless scene.")
    signed = json.loads(sign(evil, KEY))
    signed["summary"] = "Injected text."            # changed after signing
    write(storage, evil, json.dumps(signed))
    unsigned = record("unsigned.mp4", 0.2)
    write(storage, unsigned, json.dumps(unsigned))
    other_key = record("otherkey.mp4", 0.3)
    write(storage, other_key, sign(other_key, b"another key"))
    broken = record("broken.mp4", 0.4)
    write(storage, broken, "{not json")

    sched, registry = scheduler(storage, [{"id": "tv1"}])
    assert sched.run_once(NOW)["status"] == "success"

    assert playlist(storage, "tv1") == ["processed/good.mp4"]
    m3u = (storage.root / "playlists" / "tv1.m3u").read_text()
    assert "evil" not in m3u and "Injected" not in m3u and "unsigned" not in m3u
    assert m3u == "#EXTM3U\n#EXTINF:10,Scene good.mp4.\n../processed/good.mp4\n"
    text = generate_latest(registry).decode()
    assert value(text, "vv_tv_scheduler_loglines_rejected_total", reason="tampered") == 2
    assert value(text, "vv_tv_scheduler_loglines_rejected_total", reason="unsigned") == 1
    assert value(text, "vv_tv_scheduler_loglines_rejected_total", reason="invalid") == 1
    assert value(text, "vv_tv_scheduler_loglines_processed_total") == 5
    assert value(text, "vv_tv_scheduler_playlists_generated_total", tv_id="tv1", status="success") == 1

    # Unchanged files are not read again; a rewritten file is.
    sched.run_once(NOW)
    text = generate_latest(registry).decode()
    assert value(text, "vv_tv_scheduler_loglines_processed_total") == 5
    assert value(text, "vv_tv_scheduler_runs_total") == 2
    assert value(text, "vv_tv_scheduler_loglines_rejected_total", reason="tampered") == 2


def test_a_logline_valid_in_signature_but_not_in_schema_is_rejected(storage):
    rec = record("odd.mp4", 1)
    rec["people"] = -3
    write(storage, rec)
    sched, registry = scheduler(storage, [{"id": "tv1"}])
    sched.run_once(NOW)
    assert playlist(storage, "tv1") == []
    assert value(generate_latest(registry).decode(), "vv_tv_scheduler_loglines_rejected_total",
                 reason="invalid") == 1


def test_selection_policy_per_tv(storage):
    write(storage, record("a.mp4", 1, people=0))
    write(storage, record("b.mp4", 2, people=2, faces=1))
    write(storage, record("c.mp4", 3, people=1))
    write(storage, record("d.mp4", 30, people=3, faces=2))
    write(storage, record("gone.mp4", 0.1, people=5, faces=5), video=False)   # cleaned away: not playable
    tvs = [{"id": "all"},
           {"id": "recent", "max_age_hours": 24},
           {"id": "people", "min_people": 1, "max_items": 2},
           {"id": "faces", "require_faces": True}]
    sched, _ = scheduler(storage, tvs)
    sched.run_once(NOW)
    assert playlist(storage, "all") == ["processed/a.mp4", "processed/b.mp4", "processed/c.mp4", "processed/d.mp4"]
    assert playlist(storage, "recent") == ["processed/a.mp4", "processed/b.mp4", "processed/c.mp4"]
    assert playlist(storage, "people") == ["processed/b.mp4", "processed/c.mp4"]
    assert playlist(storage, "faces") == ["processed/b.mp4", "processed/d.mp4"]


def test_playlists_are_replaced_whole_and_leave_no_temporary_files(storage):
    write(storage, record("a.mp4", 1))
    sched, _ = scheduler(storage, [{"id": "tv1"}])
    sched.run_once(NOW)
    first = (storage.root / "playlists" / "tv1.m3u").stat().st_ino
    write(storage, record("b.mp4", 0.5))
    sched.run_once(NOW)
    path = storage.root / "playlists" / "tv1.m3u"
    assert path.stat().st_ino != first                  # a rename, not an in-place rewrite
    assert path.read_text().count(".mp4\n") == 2
    assert sorted(p.name for p in (storage.root / "playlists").iterdir()) == ["tv1.json", "tv1.m3u"]
    assert list(storage.tmp.iterdir()) == []


def test_a_playlist_that_cannot_be_written_is_a_failure(storage):
    write(storage, record("a.mp4", 1))
    (storage.root / "playlists").mkdir()
    (storage.root / "playlists" / "tv1.json").mkdir()   # a folder where the file must go
    sched, registry = scheduler(storage, [{"id": "tv1"}, {"id": "tv2"}])
    assert sched.run_once(NOW)["status"] == "failure"
    text = generate_latest(registry).decode()
    assert value(text, "vv_tv_scheduler_playlists_generated_total", tv_id="tv1", status="failure") == 1
    assert value(text, "vv_tv_scheduler_playlists_generated_total", tv_id="tv2", status="success") == 1
    assert value(text, "vv_tv_scheduler_last_success_timestamp_seconds") == 0
    assert sched.health()[0] is False
