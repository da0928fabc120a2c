"""cleanup_old_files: what it deletes, and above all what it never deletes."""

from __future__ import annotations

import subprocess
import sys

import pytest
from support_helpers import age, run_cli

from pipeline.cleanup_old_files import Entry, Plan, Policy, UnsafePath, apply, clean, make_plan, safe_path

DAY = 86400
KEEP_ALL_BYTES = 10**12


def make(root, rel, size=100, days=0.0):
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"x" * size)
    age(path, days)
    return path


def files(root):
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file() or p.is_symlink())


@pytest.fixture
def holder():
    """A separate process that keeps files open, as a stage writing its output does."""
    procs = []

    def hold(path):
        p = subprocess.Popen([sys.executable, "-c",
                              "import sys; f = open(sys.argv[1], 'rb'); print('held', flush=True); sys.stdin.read()",
                              str(path)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert p.stdout.readline().strip() == "held"
        procs.append(p)
    yield hold
    for p in procs:
        p.stdin.close()
        p.wait(timeout=10)


def test_dry_run_deletes_nothing_but_plans_the_old_files(root):
    for i in range(6):
        make(root, f"processed/v{i}.mp4", days=20 + i)
    before = files(root)
    result = clean(root, Policy(14 * DAY, KEEP_ALL_BYTES, keep_newest=2), dry_run=True)
    assert files(root) == before
    assert result.files_deleted == 0
    assert sorted(e.rel for e in result.plan.delete) == [f"processed/v{i}.mp4" for i in range(2, 6)]


def test_age_retention_spares_newest_n_symlinks_and_held_files(root, tmp_path, holder):
    outside = tmp_path / "outside.mp4"
    outside.write_bytes(b"precious")
    age(outside, 100)
    for i in range(5):
        make(root, f"processed/v{i}.mp4", days=30 + i)       # v0, v1 are the newest two
    held = make(root, "loglines/held.jsonl", days=60)
    make(root, "loglines/old.jsonl", days=61)
    make(root, "loglines/fresh.jsonl", days=1)
    make(root, "loglines/fresher.jsonl", days=0.5)
    link = root / "processed" / "link.mp4"
    link.symlink_to(outside)
    age(link, 100)
    (root / "corrupted").symlink_to(tmp_path, target_is_directory=True)   # a folder pointing out of the root
    make(root, "input/new.mp4", days=90)                                   # input/ is not cleaned
    make(root, "processed/.partial.mp4", days=90)                          # a write in progress
    holder(held)

    result = clean(root, Policy(14 * DAY, KEEP_ALL_BYTES, keep_newest=2), dry_run=False)

    left = files(root)
    assert "processed/v0.mp4" in left and "processed/v1.mp4" in left       # newest 2 kept
    assert not any(f"processed/v{i}.mp4" in left for i in (2, 3, 4))
    assert "loglines/held.jsonl" in left                                    # held open by another process
    assert "loglines/old.jsonl" not in left
    assert {"loglines/fresh.jsonl", "loglines/fresher.jsonl"} <= set(left)
    assert link.is_symlink() and outside.read_bytes() == b"precious"       # link and target untouched
    assert "input/new.mp4" in left and "processed/.partial.mp4" in left
    assert (tmp_path / "outside.mp4").exists()
    assert result.files_deleted == 4 and result.bytes_deleted == 400
    assert result.plan.kept_held == 1 and result.plan.skipped_links == 2


def test_size_budget_deletes_oldest_first_until_met(root):
    for i in range(10):
        make(root, f"processed/v{i}.mp4", size=1000, days=i)            # v9 oldest
    for i in range(4):
        make(root, f"logs/app.log.{i}", size=1000, days=i + 0.5)
    # 14000 bytes, budget 6000: the 8 oldest unprotected files go, whatever their folder
    # (v9..v4, then app.log.3 at 3.5 days, then v3).
    result = clean(root, Policy(365 * DAY, 6000, keep_newest=1), dry_run=False)
    total = sum(p.stat().st_size for p in root.rglob("*") if p.is_file())
    assert total == 6000 and result.plan.budget_met
    assert files(root) == ["logs/app.log.0", "logs/app.log.1", "logs/app.log.2", "processed/v0.mp4",
                           "processed/v1.mp4", "processed/v2.mp4"]


def test_size_budget_not_met_when_only_protected_files_remain(root, holder):
    for i in range(3):
        make(root, f"processed/v{i}.mp4", size=1000, days=i)
    held = make(root, "archives/logs-1.tar.gz", size=5000, days=100)
    holder(held)
    result = clean(root, Policy(365 * DAY, 1500, keep_newest=2), dry_run=False)
    assert not result.plan.budget_met
    assert files(root) == ["archives/logs-1.tar.gz", "processed/v0.mp4", "processed/v1.mp4"]


def test_paths_leaving_the_root_are_refused(root, tmp_path):
    (root / "processed").mkdir()
    victim = tmp_path / "victim.txt"
    victim.write_text("keep")
    for rel in ("../victim.txt", "processed/../../victim.txt", str(victim), ""):
        with pytest.raises(UnsafePath):
            safe_path(root, rel)
    (root / "logs").symlink_to(tmp_path, target_is_directory=True)
    with pytest.raises(UnsafePath):
        safe_path(root, "logs/victim.txt")
    st = victim.stat()
    forged = Plan(delete=[Entry("../victim.txt", st.st_size, st.st_mtime, st.st_dev, st.st_ino)])
    with pytest.raises(UnsafePath):
        apply(root, forged, held=set())
    assert victim.read_text() == "keep"
    assert safe_path(root, "processed/a.mp4") == root / "processed" / "a.mp4"


def test_a_file_replaced_after_planning_is_left_alone(root, tmp_path):
    path = make(root, "processed/v.mp4", days=30)
    plan = make_plan(root, Policy(14 * DAY, KEEP_ALL_BYTES, keep_newest=0), held=set())
    assert [e.rel for e in plan.delete] == ["processed/v.mp4"]
    path.rename(tmp_path / "moved-away.mp4")   # kept, so its inode cannot be reused
    make(root, "processed/v.mp4", days=30)     # a new file under the same name (new inode)
    assert apply(root, plan, held=set()).files_deleted == 0
    assert path.exists()


def test_cli_run_with_pushgateway_down_still_cleans_and_logs_one_line(root):
    for i in range(8):
        make(root, f"processed/v{i}.mp4", days=20 + i)
    done = run_cli("pipeline", "cron", "cleanup_old_files", "--storage-root", str(root),
                   "--pushgateway", "http://127.0.0.1:9")
    assert done.returncode == 0, done.stderr
    assert len(files(root / "processed")) == 5      # keep_newest: 5 in vvdash.yaml
    push_lines = [line for line in done.stderr.splitlines() if "push" in line]
    assert len(push_lines) == 1 and "failed" in push_lines[0], done.stderr


def test_cli_refuses_a_missing_root_in_one_line(tmp_path):
    done = run_cli("pipeline", "cron", "cleanup_old_files", "--storage-root", str(tmp_path / "nope"))
    assert done.returncode == 2
    assert done.stderr.strip().count("\n") == 0 and "nope" in done.stderr


def test_cli_dry_run_deletes_nothing(root):
    for i in range(8):
        make(root, f"processed/v{i}.mp4", days=20 + i)
    before = files(root)
    done = run_cli("pipeline", "cron", "cleanup_old_files", "--dry-run", "--storage-root", str(root),
                   "--pushgateway", "http://127.0.0.1:9")
    assert done.returncode == 0, done.stderr
    assert [f for f in files(root) if not f.startswith(".state")] == before
    assert done.stderr.count("would delete processed/") == 3
