"""The cron jobs against a real Pushgateway: job name, stable grouping key, totals, last success."""

from __future__ import annotations

import time

import requests
from support_helpers import age, run_cli, scrape, value

from vvdash import inventory
from vvdash.jobs import job

INV = inventory.load()
SITE = INV.sites[0]["name"]
HOST = INV.sites[0]["hosts"][0]["name"]


def groups(url: str) -> list[dict]:
    """Label sets of the groups the Pushgateway holds for our jobs (its JSON API)."""
    data = requests.get(f"{url}/api/v1/metrics", timeout=5).json()["data"]
    return [g["labels"] for g in data]


def old_videos(root, n, days=30):
    for i in range(n):
        path = root / "processed" / f"v{i}.mp4"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"v" * 1000)
        age(path, days + i)


def test_cleanup_and_log_export_push_under_their_job_and_stable_key(root, pushgateway):
    old_videos(root, 8)                     # keep_newest 5 -> 3 deleted
    logs = root / "logs"
    logs.mkdir()
    for i in range(1, 4):
        (logs / f"orchestrator.log.{i}").write_text(f"rotated {i}\n")
    (logs / "orchestrator.log").write_text("live\n")

    started, clock = time.time(), time.monotonic()
    for name in ("cleanup_old_files", "log_exporter"):
        done = run_cli("pipeline", "cron", name, "--storage-root", str(root), "--pushgateway", pushgateway)
        assert done.returncode == 0, done.stderr
        assert "failed" not in done.stderr
    elapsed = time.monotonic() - clock         # both runs, process start-up included: an upper bound

    text = scrape(f"{pushgateway}/metrics")
    key = {"site": SITE, "instance": HOST}
    cleanup = {"job": job("cleanup_old_files"), **key}
    export = {"job": job("log_exporter"), **key}
    assert value(text, "vv_cleanup_files_deleted_total", **cleanup) == 3
    assert value(text, "vv_cleanup_bytes_deleted_total", **cleanup) == 3000
    assert value(text, "vv_cleanup_runs_total", dry_run="false", status="success", **cleanup) == 1
    assert value(text, "vv_cleanup_runs_total", dry_run="false", status="failure", **cleanup) == 0
    assert started - 1 <= value(text, "vv_cleanup_last_success_timestamp_seconds", **cleanup) <= time.time()
    assert 0 < value(text, "vv_cleanup_duration_seconds", **cleanup) <= elapsed
    assert value(text, "vv_log_exporter_archives_created_total", **export) == 1
    assert value(text, "vv_log_exporter_files_archived_total", **export) == 3
    assert value(text, "vv_log_exporter_runs_total", status="success", **export) == 1
    assert started - 1 <= value(text, "vv_log_exporter_last_success_timestamp_seconds", **export) <= time.time()
    # No _created series and nothing per run: one group per job, keyed by site and host only.
    assert not [line for line in text.splitlines() if line.startswith("vv_") and "_created{" in line]
    ours = [g for g in groups(pushgateway) if g["job"] in (job("cleanup_old_files"), job("log_exporter"))]
    assert sorted(g["job"] for g in ours) == ["cleanup_old_files", "log_exporter"]
    assert all(set(g) == {"job", "site", "instance"} for g in ours)

    # A second run replaces the group, and the counters carry on from their totals.
    old_videos(root, 8, days=40)            # v0..v7 again (same names), 3 more beyond the newest 5
    done = run_cli("pipeline", "cron", "cleanup_old_files", "--storage-root", str(root), "--pushgateway", pushgateway)
    assert done.returncode == 0, done.stderr
    done = run_cli("pipeline", "cron", "cleanup_old_files", "--dry-run", "--storage-root", str(root),
                   "--pushgateway", pushgateway)
    assert done.returncode == 0, done.stderr
    text = scrape(f"{pushgateway}/metrics")
    assert value(text, "vv_cleanup_files_deleted_total", **cleanup) == 6
    assert value(text, "vv_cleanup_runs_total", dry_run="false", status="success", **cleanup) == 2
    assert value(text, "vv_cleanup_runs_total", dry_run="true", status="success", **cleanup) == 1
    assert len([g for g in groups(pushgateway) if g["job"] == "cleanup_old_files"]) == 1


def test_a_failed_run_keeps_last_success_and_counts_the_failure(root, pushgateway):
    logs = root / "logs"
    logs.mkdir()
    (logs / "a.log.1").write_text("one\n")
    assert run_cli("pipeline", "cron", "log_exporter", "--storage-root", str(root),
                   "--pushgateway", pushgateway).returncode == 0
    first = value(scrape(f"{pushgateway}/metrics"), "vv_log_exporter_last_success_timestamp_seconds")
    (logs / "a.log.2").write_text("two\n")
    blocker = root / "archives"
    for old in blocker.iterdir():
        old.unlink()
    blocker.rmdir()
    blocker.write_text("not a folder")      # the archive cannot be written: the run fails, nothing deleted
    done = run_cli("pipeline", "cron", "log_exporter", "--storage-root", str(root), "--pushgateway", pushgateway)
    assert done.returncode == 1, done.stderr
    assert "nothing deleted" in done.stderr
    assert (logs / "a.log.2").exists()
    text = scrape(f"{pushgateway}/metrics")
    assert value(text, "vv_log_exporter_runs_total", status="failure") == 1
    assert value(text, "vv_log_exporter_last_success_timestamp_seconds") == first


def test_pushgateway_down_does_not_fail_the_work(root, pushgateway):
    logs = root / "logs"
    logs.mkdir()
    (logs / "a.log.1").write_text("one\n")
    dead = "http://127.0.0.1:9"
    done = run_cli("pipeline", "cron", "log_exporter", "--storage-root", str(root), "--pushgateway", dead)
    assert done.returncode == 0, done.stderr
    assert not (logs / "a.log.1").exists() and len(list((root / "archives").glob("*.tar.gz"))) == 1
    failures = [line for line in done.stderr.splitlines() if "push" in line and "failed" in line]
    assert len(failures) == 1 and dead in failures[0]
    # The totals were kept: the next push (gateway back) reports both runs' work.
    (logs / "a.log.2").write_text("two\n")
    assert run_cli("pipeline", "cron", "log_exporter", "--storage-root", str(root),
                   "--pushgateway", pushgateway).returncode == 0
    text = scrape(f"{pushgateway}/metrics")
    assert value(text, "vv_log_exporter_files_archived_total") == 2
    assert value(text, "vv_log_exporter_runs_total", status="success") == 2
