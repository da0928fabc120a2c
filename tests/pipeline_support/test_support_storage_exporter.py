"""storage_exporter: per-folder bytes and files, bounded labels, symlinks not followed, scans on a period."""

from __future__ import annotations

import time

import pytest
from prometheus_client import CollectorRegistry, generate_latest
from support_helpers import value

from pipeline.pushgateway import JobState
from pipeline.storage_exporter import FOLDERS, OTHER, StorageExporter, usage
from vvdash.errors import VVError


def put(root, rel, size):
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"x" * size)


def test_usage_per_folder_without_following_symlinks(root, tmp_path):
    put(root, "processed/a.mp4", 1000)
    put(root, "processed/day1/b.mp4", 500)
    put(root, "loglines/a.jsonl", 10)
    put(root, "random-dir/x", 7)
    put(root, "stray.txt", 3)
    big = tmp_path / "big"
    put(tmp_path, "big/huge.bin", 100_000)
    (root / "processed" / "link").symlink_to(big, target_is_directory=True)
    (root / "logs").symlink_to(big, target_is_directory=True)
    result = usage(root)
    assert set(result) == {*FOLDERS, OTHER}
    assert result["processed"] == (1500, 2)
    assert result["loglines"] == (10, 1)
    assert result[OTHER] == (10, 2)
    assert result["logs"] == (0, 0) and result["input"] == (0, 0)


def test_scrapes_read_the_last_scan_and_scans_follow_the_period(root):
    registry = CollectorRegistry()
    exporter = StorageExporter(root, refresh_seconds=0.2, registry=registry)
    assert exporter.health()[0] is False
    exporter.start()
    try:
        deadline = time.monotonic() + 5
        while exporter.last_ok is None and time.monotonic() < deadline:
            time.sleep(0.02)
        assert value(generate_latest(registry).decode(), "vv_storage_files", folder="input") == 0
        put(root, "input/seg.mp4", 42)
        # Not a walk per scrape: the new file shows up only after the next periodic scan.
        first = value(generate_latest(registry).decode(), "vv_storage_last_scan_timestamp_seconds")
        deadline = time.monotonic() + 5
        while value(generate_latest(registry).decode(), "vv_storage_used_bytes", folder="input") != 42:
            assert time.monotonic() < deadline
            time.sleep(0.02)
        assert value(generate_latest(registry).decode(), "vv_storage_last_scan_timestamp_seconds") > first
        assert exporter.health() == (True, "ok")
    finally:
        exporter.stop()


def test_an_unlistable_root_makes_the_exporter_unhealthy(tmp_path):
    exporter = StorageExporter(tmp_path / "missing", refresh_seconds=1, registry=CollectorRegistry())
    exporter.scan_once()
    ok, detail = exporter.health()
    assert not ok and "missing" in detail


def test_two_overlapping_runs_of_a_job_are_refused(root):
    with JobState(root, "cleanup_old_files"):
        with pytest.raises(VVError, match="another run"):
            with JobState(root, "cleanup_old_files"):
                pass
    with JobState(root, "cleanup_old_files") as state:   # released: the next run goes ahead
        state.add("files_deleted", 2)
        state.save()
    with JobState(root, "cleanup_old_files") as state:
        assert state.get("files_deleted") == 2
