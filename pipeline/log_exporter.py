"""log_exporter: archive rotated logs into a verified .tar.gz, then delete the originals.

Rotated logs are the regular files under <root>/logs/ whose name has a suffix after
`.log` (app.log.1, app.log.2026-11-24, app.log.3.gz); the live `*.log` files are
never touched, nor is a file some process still holds open.

One run writes <root>/archives/logs-<UTC time>.tar.gz holding the files under
`logs/...` plus MANIFEST.sha256 (sha256sum format). Before any original is deleted
the archive is read back: every member's SHA-256 must equal the manifest's, and the
manifest must equal the originals as hashed before archiving, which must still be
unchanged on disk. If anything disagrees the archive is removed, nothing is deleted
and the run fails. Pushes its metrics like cleanup_old_files.
"""

from __future__ import annotations

import hashlib
import io
import logging
import os
import re
import tarfile
import time
from dataclasses import dataclass
from datetime import datetime, UTC
from pathlib import Path

from prometheus_client import CollectorRegistry

from pipeline.cleanup_old_files import held_files
from pipeline.pushgateway import JobState, grouping_key, job_registry, push

COMPONENT = "log_exporter"
LOGS = "logs"
ARCHIVES = "archives"
MANIFEST = "MANIFEST.sha256"
ROTATED = re.compile(r"\.log\.[^/]+$")

log = logging.getLogger(COMPONENT)


class ArchiveMismatch(Exception):
    """The archive read back does not match what was put in."""


@dataclass(frozen=True)
class Source:
    rel: str            # 'logs/...'
    sha256: str
    size: int
    mtime_ns: int
    ino: int


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def rotated_logs(root: Path) -> list[Path]:
    """Rotated log files under <root>/logs, oldest first; no symlinks, nothing held open."""
    top = root / LOGS
    if top.is_symlink() or not top.is_dir():
        return []
    held = held_files()
    found = []
    for dirpath, _dirnames, filenames in os.walk(top, followlinks=False):
        for name in filenames:
            path = Path(dirpath) / name
            if not ROTATED.search(name) or path.is_symlink() or not path.is_file():
                continue
            st = path.stat()
            if (st.st_dev, st.st_ino) in held:
                log.info("%s is held open; left for the next run", path.relative_to(root))
                continue
            found.append((st.st_mtime, str(path.relative_to(root)), path))
    return [p for _, _, p in sorted(found)]


def _manifest_text(sources: list[Source]) -> bytes:
    return "".join(f"{s.sha256}  {s.rel}\n" for s in sources).encode()


def parse_manifest(text: bytes) -> dict[str, str]:
    out = {}
    for line in text.decode().splitlines():
        digest, _, name = line.partition("  ")
        out[name] = digest
    return out


def write_archive(root: Path, files: list[Path], dest: Path) -> list[Source]:
    """Write `files` and their manifest to `dest` (via a temporary name); return what went in."""
    sources = []
    tmp = dest.with_name(dest.name + ".partial")
    try:
        with tarfile.open(tmp, "w:gz") as tar:
            for path in files:
                st = path.stat()
                rel = str(path.relative_to(root))
                digest = sha256_file(path)
                tar.add(path, arcname=rel, recursive=False)
                sources.append(Source(rel, digest, st.st_size, st.st_mtime_ns, st.st_ino))
            manifest = _manifest_text(sources)
            info = tarfile.TarInfo(MANIFEST)
            info.size = len(manifest)
            info.mtime = int(time.time())
            tar.addfile(info, io.BytesIO(manifest))
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, dest)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return sources


def verify_archive(archive: Path, sources: list[Source]) -> None:
    """Raise ArchiveMismatch unless the archive holds exactly `sources` with matching SHA-256."""
    expected = {s.rel: s.sha256 for s in sources}
    seen: dict[str, str] = {}
    manifest: dict[str, str] | None = None
    try:
        with tarfile.open(archive, "r:gz") as tar:
            for member in tar:
                fh = tar.extractfile(member)
                if fh is None:
                    raise ArchiveMismatch(f"{archive.name}: member {member.name} is not a file")
                data = fh.read()
                if member.name == MANIFEST:
                    manifest = parse_manifest(data)
                else:
                    seen[member.name] = hashlib.sha256(data).hexdigest()
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise ArchiveMismatch(f"{archive.name}: unreadable archive: {exc}") from None
    if manifest is None:
        raise ArchiveMismatch(f"{archive.name}: no {MANIFEST}")
    if manifest != expected:
        raise ArchiveMismatch(f"{archive.name}: manifest does not list the archived files")
    for name, digest in expected.items():
        if seen.get(name) != digest:
            raise ArchiveMismatch(f"{archive.name}: {name}: SHA-256 differs from the original")


def _unchanged(root: Path, s: Source) -> bool:
    try:
        st = (root / s.rel).stat()
    except FileNotFoundError:
        return False
    return (st.st_size, st.st_mtime_ns, st.st_ino) == (s.size, s.mtime_ns, s.ino)


@dataclass
class Result:
    archive: Path | None = None
    files_archived: int = 0


def export(root: Path, dry_run: bool = False, now: datetime | None = None) -> Result:
    root = Path(os.path.realpath(root))
    files = rotated_logs(root)
    if not files:
        log.info("no rotated logs under %s", root / LOGS)
        return Result()
    if dry_run:
        for path in files:
            log.info("would archive %s", path.relative_to(root))
        return Result()
    now = now or datetime.now(UTC)
    (root / ARCHIVES).mkdir(exist_ok=True)
    dest = root / ARCHIVES / f"logs-{now.strftime('%Y%m%dT%H%M%S.%fZ')}.tar.gz"
    sources = write_archive(root, files, dest)
    try:
        verify_archive(dest, sources)
        changed = [s.rel for s in sources if not _unchanged(root, s)]
        if changed:
            raise ArchiveMismatch(f"{changed[0]} changed while it was archived")
    except ArchiveMismatch:
        dest.unlink(missing_ok=True)
        raise
    for s in sources:
        (root / s.rel).unlink()
    log.info("archived %d rotated logs into %s (verified)", len(sources), dest.relative_to(root))
    return Result(dest, len(sources))


def _registry(state: JobState) -> CollectorRegistry:
    return job_registry(
        COMPONENT, state,
        counters={"vv_log_exporter_archives_created_total": "archives", "vv_log_exporter_files_archived_total": "files"},
        gauges={"vv_log_exporter_duration_seconds": "duration"},
        runs="vv_log_exporter_runs_total", run_labels=[("success",), ("failure",)],
        last_success="vv_log_exporter_last_success_timestamp_seconds")


def run_job(ctx) -> int:
    """One export run: archive, verify, delete originals, record totals, push."""
    with JobState(ctx.root, COMPONENT) as state:
        started = time.monotonic()
        status = "success"
        result = Result()
        try:
            result = export(ctx.root, ctx.dry_run)
        except Exception as exc:
            log.error("log export failed, nothing deleted: %s", exc)
            status = "failure"
        if ctx.dry_run:  # a dry run changes nothing and is not a run of the job
            return 0 if status == "success" else 1
        state.add("archives", 1 if result.archive else 0)
        state.add("files", result.files_archived)
        state.set("duration", time.monotonic() - started)
        state.add(f"runs:{status}", 1)
        if status == "success":
            state.set("last_success", time.time())
        state.save()
        push(_registry(state), COMPONENT, ctx.pushgateway_url, grouping_key(ctx.inv, ctx.site))
    return 0 if status == "success" else 1
