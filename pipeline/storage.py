"""The layout of VIDEO_STORAGE_ROOT and the atomic file moves the pipeline relies on.

    input/       new segments (agent_dvr renames finished files in; dot-files are ignored)
    processing/  claimed by the orchestrator (a rename out of input/); re-run after a crash
    processed/   videos that went through scan, summarize and logline
    corrupted/   inputs that cannot be processed, each with <name>.reason.json beside it
    analytics/   <video_id>.json from scan_video
    summaries/   <video_id>.json from summarize_scene
    loglines/    <video_id>.jsonl from logline_generator: one HMAC-signed line per processed video
    tmp/         partial writes (same filesystem, so the final rename is atomic)

Every move is a rename inside the root; nothing outside the root is read, moved or deleted.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

FOLDERS = ("input", "processing", "processed", "corrupted", "analytics", "summaries", "loglines", "tmp")
REASON_SUFFIX = ".reason.json"
LOGLINE_SUFFIX = ".jsonl"


@dataclass(frozen=True)
class Storage:
    root: Path

    def __post_init__(self):
        object.__setattr__(self, "root", Path(os.path.abspath(self.root)))

    def __getattr__(self, name: str) -> Path:
        if name in FOLDERS:
            return self.root / name
        raise AttributeError(name)

    def ensure(self) -> "Storage":
        for name in FOLDERS:
            (self.root / name).mkdir(parents=True, exist_ok=True)
        return self

    def inside(self, path: Path) -> bool:
        """True when `path` (not followed if it is a symlink) lies inside the root."""
        parent = Path(os.path.realpath(Path(path).parent))
        return parent == self.root or self.root in parent.parents

    def resolve(self, relpath: str) -> Path:
        """A path given relative to the root, refused if it escapes the root or is a symlink."""
        path = self.root / relpath
        if ".." in Path(relpath).parts or Path(relpath).is_absolute() or not self.inside(path):
            raise ValueError(f"{relpath}: outside the storage root")
        if path.is_symlink():
            raise ValueError(f"{relpath}: a symlink (never followed)")
        return path

    def relative(self, path: Path) -> str:
        return str(Path(path).relative_to(self.root))

    # -- listings -------------------------------------------------------------
    def entries(self, folder: str) -> list[Path]:
        """Visible entries of a folder, oldest first (dot-files are writes in progress)."""
        try:
            items = [p for p in (self.root / folder).iterdir() if not p.name.startswith(".")]
        except FileNotFoundError:
            return []

        def mtime(p: Path) -> float:
            try:
                return p.lstat().st_mtime
            except FileNotFoundError:
                return 0.0
        return sorted(items, key=lambda p: (mtime(p), p.name))

    def corrupted_videos(self) -> list[Path]:
        return [p for p in self.entries("corrupted") if not p.name.endswith(REASON_SUFFIX)]

    def logline_files(self) -> list[Path]:
        return sorted(p for p in self.entries("loglines") if p.name.endswith(LOGLINE_SUFFIX))

    def logline_path(self, video_id: str) -> Path:
        return self.loglines / f"{video_id}{LOGLINE_SUFFIX}"

    def analytic_path(self, video_id: str) -> Path:
        return self.analytics / f"{video_id}.json"

    def summary_path(self, video_id: str) -> Path:
        return self.summaries / f"{video_id}.json"

    # -- atomic writes ----------------------------------------------------------
    def temp_path(self, final: Path) -> Path:
        return self.tmp / f".{os.getpid()}-{os.urandom(4).hex()}-{final.name}"

    def write_atomic(self, final: Path, data: bytes) -> None:
        """Write via tmp/ + fsync + rename: readers see the old file or the whole new one."""
        tmp = self.temp_path(final)
        tmp.parent.mkdir(parents=True, exist_ok=True)
        with open(tmp, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, final)

    def write_once(self, final: Path, data: bytes) -> bool:
        """Create `final` with `data` unless it exists (hard link: atomic, never overwrites).

        Returns False when it already existed, so a re-run after a crash writes nothing twice.
        """
        if final.exists():
            return False
        tmp = self.temp_path(final)
        tmp.parent.mkdir(parents=True, exist_ok=True)
        with open(tmp, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        try:
            os.link(tmp, final)
            return True
        except FileExistsError:
            return False
        finally:
            tmp.unlink(missing_ok=True)

    def free_name(self, folder: str, name: str) -> str:
        """`name`, or `name` with a ~N suffix, so nothing in `folder` is ever overwritten."""
        dest_dir = self.root / folder
        candidate, n = name, 1
        while (dest_dir / candidate).exists() or (dest_dir / candidate).is_symlink():
            stem, dot, ext = name.rpartition(".")
            candidate = f"{stem}~{n}.{ext}" if dot and stem else f"{name}~{n}"
            n += 1
        return candidate

    def move(self, src: Path, folder: str, name: str | None = None) -> Path:
        """Rename `src` into `folder` under a free name (an existing entry is never replaced)."""
        dest = self.root / folder / self.free_name(folder, name or src.name)
        os.rename(src, dest)
        return dest

    def clean_tmp(self) -> int:
        """Remove partial writes left in tmp/ by processes that no longer run (names start with .PID-)."""
        removed = 0
        for tmp in list(self.tmp.iterdir()) if self.tmp.is_dir() else []:
            pid = tmp.name.lstrip(".").split("-", 1)[0]
            if pid.isdigit() and not pid_alive(int(pid)) and not tmp.is_dir():
                tmp.unlink(missing_ok=True)
                removed += 1
        return removed

    def write_reason(self, name: str, reason: str, detail: str) -> None:
        doc = {"file": name, "reason": reason, "detail": detail}
        self.write_atomic(self.corrupted / f"{name}{REASON_SUFFIX}",
                          (json.dumps(doc, sort_keys=True, ensure_ascii=False) + "\n").encode("utf-8"))


def video_id(path: Path, chunk: int = 1 << 20) -> str:
    """A stable id for one input: its name and content, so a re-run after a crash finds its outputs."""
    digest = hashlib.sha256(path.name.encode("utf-8", "surrogateescape") + b"\0")
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            digest.update(block)
    return digest.hexdigest()[:24]


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
