"""cleanup_old_files: retention by age and by a size budget under VIDEO_STORAGE_ROOT.

Policy (inventory `pipeline.cleanup`), applied to the folders in FOLDERS:
1. Candidates are regular files only, not dot-files (writes in progress). Symlinks are never followed nor deleted, a
   folder that is itself a symlink is skipped, and every path is re-checked to lie
   under the root (`..` or an absolute path is refused) right before deletion.
2. Protected, never deleted: the newest `keep_newest` files of each folder, and
   files another stage holds. "Held" means open in some process, as listed in
   /proc/<pid>/fd: a stage that is still writing or reading a file keeps it open
   (an advisory flock holder has it open too). Only processes this user may
   inspect are seen, which covers the pipeline's own stages.
3. Age: every unprotected file whose mtime is older than `max_age_days` goes.
4. Budget: while the folders together hold more than `max_bytes` (file sizes),
   the oldest unprotected files go, across folders, oldest first. When protected
   files alone exceed the budget, the run says so and still succeeds.
`--dry-run` prints the plan and deletes nothing.

Runs as a cron-style job (`vvdash pipeline cron cleanup_old_files`) and pushes its
metrics to the Pushgateway at the end of each run (see pipeline.pushgateway).
"""

from __future__ import annotations

import logging
import os
import stat
import time
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from prometheus_client import CollectorRegistry

from pipeline.pushgateway import JobState, grouping_key, job_registry, push

COMPONENT = "cleanup_old_files"
# Finished outputs only: input/, processing/ and tmp/ hold work in progress.
FOLDERS = ("processed", "corrupted", "analytics", "summaries", "loglines", "logs", "archives")

log = logging.getLogger(COMPONENT)


class UnsafePath(ValueError):
    """A path that would leave the storage root."""


@dataclass(frozen=True)
class Policy:
    max_age_seconds: float
    max_bytes: int
    keep_newest: int

    @classmethod
    def from_inventory(cls, inv) -> Policy:
        c = inv["pipeline"]["cleanup"]
        return cls(c["max_age_days"] * 86400, c["max_bytes"], c["keep_newest"])


@dataclass(frozen=True)
class Entry:
    rel: str            # path relative to the root, '/'-separated
    size: int
    mtime: float
    dev: int
    ino: int


@dataclass
class Plan:
    delete: list[Entry] = field(default_factory=list)
    kept_newest: int = 0
    kept_held: int = 0
    skipped_links: int = 0
    total_bytes: int = 0
    bytes_after: int = 0
    budget_met: bool = True

    @property
    def bytes(self) -> int:
        return sum(e.size for e in self.delete)


@dataclass
class Result:
    files_deleted: int = 0
    bytes_deleted: int = 0
    plan: Plan | None = None


def held_files() -> set[tuple[int, int]]:
    """(st_dev, st_ino) of every file some visible process has open."""
    held: set[tuple[int, int]] = set()
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        fd_dir = f"/proc/{pid}/fd"
        try:
            fds = os.listdir(fd_dir)
        except OSError:  # gone, or another user's process
            continue
        for fd in fds:
            try:
                st = os.stat(f"{fd_dir}/{fd}")
            except OSError:
                continue
            if stat.S_ISREG(st.st_mode):
                held.add((st.st_dev, st.st_ino))
    return held


def safe_path(root: Path, rel: str) -> Path:
    """`root/rel`, refusing absolute paths, `..` parts and anything resolving outside the root."""
    parts = PurePosixPath(rel).parts
    if not rel or PurePosixPath(rel).is_absolute() or ".." in parts:
        raise UnsafePath(f"refusing path {rel!r}: outside the storage root {root}")
    path = root.joinpath(*parts)
    # The parent directory must really be inside the root (no symlinked directory on the way).
    if not os.path.realpath(path.parent).startswith(str(root) + os.sep):
        raise UnsafePath(f"refusing path {rel!r}: its folder resolves outside the storage root {root}")
    return path


def scan(root: Path, plan: Plan) -> dict[str, list[Entry]]:
    """Regular files of each folder, newest first; symlinks counted and left alone."""
    found: dict[str, list[Entry]] = {}
    for folder in FOLDERS:
        top = root / folder
        if top.is_symlink():
            log.warning("%s is a symlink; not cleaning it", top)
            plan.skipped_links += 1
            continue
        if not top.is_dir():
            continue
        entries: list[Entry] = []
        stack = [top]
        while stack:
            d = stack.pop()
            try:
                it = list(os.scandir(d))
            except OSError as exc:
                log.warning("cannot list %s: %s", d, exc.strerror)
                continue
            for de in it:
                if de.is_symlink():
                    plan.skipped_links += 1
                elif de.name.startswith("."):
                    continue
                elif de.is_dir(follow_symlinks=False):
                    stack.append(Path(de.path))
                elif de.is_file(follow_symlinks=False):
                    st = de.stat(follow_symlinks=False)
                    rel = os.path.relpath(de.path, root).replace(os.sep, "/")
                    entries.append(Entry(rel, st.st_size, st.st_mtime, st.st_dev, st.st_ino))
        entries.sort(key=lambda e: (-e.mtime, e.rel))
        found[folder] = entries
    return found


def make_plan(root: Path, policy: Policy, now: float | None = None,
              held: set[tuple[int, int]] | None = None) -> Plan:
    now = time.time() if now is None else now
    held = held_files() if held is None else held
    plan = Plan()
    candidates: list[Entry] = []
    for entries in scan(root, plan).values():
        plan.total_bytes += sum(e.size for e in entries)
        for i, e in enumerate(entries):
            if i < policy.keep_newest:
                plan.kept_newest += 1
            elif (e.dev, e.ino) in held:
                plan.kept_held += 1
            else:
                candidates.append(e)
    candidates.sort(key=lambda e: (e.mtime, e.rel))  # oldest first
    remaining = plan.total_bytes
    for e in candidates:
        too_old = now - e.mtime > policy.max_age_seconds
        over_budget = remaining > policy.max_bytes
        if not (too_old or over_budget):
            continue
        plan.delete.append(e)
        remaining -= e.size
    plan.bytes_after = remaining
    plan.budget_met = remaining <= policy.max_bytes
    return plan


def apply(root: Path, plan: Plan, held: set[tuple[int, int]] | None = None) -> Result:
    """Delete the planned files, re-checking each one (still the same file, still not held)."""
    result = Result(plan=plan)
    held = held_files() if held is None else held
    for e in plan.delete:
        path = safe_path(root, e.rel)
        try:
            st = os.lstat(path)
        except FileNotFoundError:
            continue
        if not stat.S_ISREG(st.st_mode) or (st.st_dev, st.st_ino) != (e.dev, e.ino):
            log.info("%s changed since the scan; left alone", e.rel)
            continue
        if (st.st_dev, st.st_ino) in held:
            log.info("%s is now held by another process; left alone", e.rel)
            continue
        try:
            os.unlink(path)
        except OSError as exc:
            log.warning("cannot delete %s: %s", e.rel, exc.strerror)
            continue
        result.files_deleted += 1
        result.bytes_deleted += st.st_size
    return result


def clean(root: Path, policy: Policy, dry_run: bool) -> Result:
    root = Path(os.path.realpath(root))
    plan = make_plan(root, policy)
    verb = "would delete" if dry_run else "deleting"
    for e in plan.delete:
        log.info("%s %s (%d bytes)", verb, e.rel, e.size)
    if not plan.budget_met:
        log.warning("size budget %d bytes not met: %d bytes remain in protected files",
                    policy.max_bytes, plan.bytes_after)
    if dry_run:
        return Result(plan=plan)
    return apply(root, plan)


def _registry(state: JobState) -> CollectorRegistry:
    return job_registry(
        COMPONENT, state,
        counters={"vv_cleanup_files_deleted_total": "files_deleted", "vv_cleanup_bytes_deleted_total": "bytes_deleted"},
        gauges={"vv_cleanup_duration_seconds": "duration"},
        runs="vv_cleanup_runs_total", run_labels=[(dry, status) for dry in ("true", "false")
                                                  for status in ("success", "failure")],
        last_success="vv_cleanup_last_success_timestamp_seconds")


def run_job(ctx) -> int:
    """One cleanup run: delete, record totals, push. Exit 0 on success, 1 when the run failed."""
    policy = Policy.from_inventory(ctx.inv)
    dry = "true" if ctx.dry_run else "false"
    with JobState(ctx.root, COMPONENT) as state:
        started = time.monotonic()
        status = "success"
        result = Result()
        try:
            result = clean(ctx.root, policy, ctx.dry_run)
        except Exception as exc:
            log.error("cleanup failed: %s: %s", type(exc).__name__, exc)
            status = "failure"
        duration = time.monotonic() - started
        state.add("files_deleted", result.files_deleted)
        state.add("bytes_deleted", result.bytes_deleted)
        state.set("duration", duration)
        state.add(f"runs:{dry}:{status}", 1)
        if status == "success" and not ctx.dry_run:
            state.set("last_success", time.time())
        state.save()
        plan = result.plan
        if plan is not None:
            what = "would delete" if ctx.dry_run else "deleted"
            count = len(plan.delete) if ctx.dry_run else result.files_deleted
            size = plan.bytes if ctx.dry_run else result.bytes_deleted
            log.info("%s %d files (%d bytes) in %.2fs; kept %d newest, %d held, skipped %d symlinks",
                     what, count, size, duration, plan.kept_newest, plan.kept_held, plan.skipped_links)
        push(_registry(state), COMPONENT, ctx.pushgateway_url, grouping_key(ctx.inv, ctx.site))
    return 0 if status == "success" else 1
