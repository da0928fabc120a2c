"""The layout of VIDEO_STORAGE_ROOT and the atomic file moves the pipeline relies on.

    input/       new segments (agent_dvr renames finished files in; dot-files are ignored)
    processing/  claimed by the orchestrator (a rename out of input/); re-run after a crash
    processed/   videos that went through scan, summarize and logline
    corrupted/   inputs that cannot be processed, each with <name>.reason.json beside it
    analytics/   <video_id>.json from scan_video
    summaries/   <video_id>.json from summarize_scene
    loglines/    <video_id>.jsonl from logline_generator: one HMAC-signed line per processed video
    tmp/         partial writes (same filesystem, so the final rename is atomic)

Every move stays inside the root and never replaces an entry: a file is hard-linked under a free
name (the link fails if the name exists) and then unlinked from where it was. The move is written
to a journal (tmp/moves/) before the link and removed after the unlink, so a crash in between
leaves two links to one file and a record of which link is the leftover: finish_moves() removes
exactly that one. A file that simply has several links (an input hard-linked under two names) is
never mistaken for a move cut short. Nothing outside the root is read, moved or deleted.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path

from vvdash.durable import fsync_dir, write_synced

FOLDERS = ("input", "processing", "processed", "corrupted", "analytics", "summaries", "loglines", "tmp")
REASON_SUFFIX = ".reason.json"
LOGLINE_SUFFIX = ".jsonl"
# Later folders win when a crash between link and unlink left a file in two of them.
MOVE_ORDER = {"input": 0, "processing": 1, "processed": 2, "corrupted": 2}
JOURNAL = "moves"           # under tmp/: one record per move in progress, named <pid>-<token>.move
FREE_SUFFIX = re.compile(r"^(?P<stem>.+)~[0-9]+(?P<ext>\.[^.]*)?$")


@dataclass(frozen=True)
class Storage:
    root: Path

    def __post_init__(self):
        object.__setattr__(self, "root", Path(os.path.abspath(self.root)))

    def __getattr__(self, name: str) -> Path:
        if name in FOLDERS:
            return self.root / name
        raise AttributeError(name)

    def ensure(self) -> Storage:
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

    def _write_temp(self, final: Path, data: bytes) -> Path:
        """`data` in a fsynced file under tmp/, ready to be renamed or linked to `final`."""
        tmp = self.temp_path(final)
        tmp.parent.mkdir(parents=True, exist_ok=True)
        write_synced(tmp, data)
        return tmp

    def write_atomic(self, final: Path, data: bytes) -> None:
        """Write via tmp/ + fsync + rename: readers see the old file or the whole new one."""
        os.replace(self._write_temp(final, data), final)
        fsync_dir(final.parent)             # the rename itself survives a power loss

    def write_once(self, final: Path, data: bytes) -> bool:
        """Create `final` with `data` unless it exists (hard link: atomic, never overwrites).

        Returns False when it already existed, so a re-run after a crash writes nothing twice.
        """
        if final.exists():
            return False
        tmp = self._write_temp(final, data)
        try:
            os.link(tmp, final)
        except FileExistsError:
            return False
        finally:
            tmp.unlink(missing_ok=True)
        fsync_dir(final.parent)
        return True

    @staticmethod
    def names(name: str):
        """`name`, then `name` with a ~1, ~2, ... suffix before its extension."""
        yield name
        stem, dot, ext = name.rpartition(".")
        n = 1
        while True:
            yield f"{stem}~{n}.{ext}" if dot and stem else f"{name}~{n}"
            n += 1

    def free_name(self, folder: str, name: str) -> str:
        """The first of names(`name`) not taken in `folder` now (a check only: see move())."""
        dest_dir = self.root / folder
        for candidate in self.names(name):
            if not ((dest_dir / candidate).exists() or (dest_dir / candidate).is_symlink()):
                return candidate
        raise AssertionError("unreachable")

    def move(self, src: Path, folder: str, name: str | None = None, before=None) -> Path:
        """Move `src` into `folder` under a free name; an existing entry is never replaced.

        `before(name)`, when given, runs once the name is chosen and before the file appears there
        (corrupted/ writes the reason first). Raises FileNotFoundError when `src` is gone or another
        mover took it first.
        """
        src = Path(src)
        dest_dir = self.root / folder
        record = None
        if src.is_dir() and not src.is_symlink():
            # A directory cannot be hard-linked and Python offers no renameat2(RENAME_NOREPLACE):
            # check, then rename. Only the orchestrator moves into processing/, processed/, corrupted/.
            dest = dest_dir / self.free_name(folder, name or src.name)
            if before:
                before(dest.name)
            os.rename(src, dest)
        else:
            dest, record = self._link_free(src, dest_dir, name or src.name, before)
            try:
                os.unlink(src)
            except FileNotFoundError:
                os.unlink(dest)             # another mover unlinked `src` first: its copy counts
                self._forget(record)
                raise
        fsync_dir(dest_dir)
        fsync_dir(src.parent)
        if record is not None:
            self._forget(record)            # after the fsyncs: the move is durable, its record not needed
        return dest

    def _link_free(self, src: Path, dest_dir: Path, name: str, before) -> tuple[Path, Path]:
        """Hard-link `src` into `dest_dir` under the first free name: the link is the check.

        Returns the new link and the journal record naming `src` as the link to drop."""
        record = None
        for candidate in self.names(name):
            dest = dest_dir / candidate
            if dest.exists() or dest.is_symlink():
                continue                    # taken: skip before() for it
            if before:
                before(candidate)
            record = self._journal(src, dest, record)
            try:
                os.link(src, dest, follow_symlinks=False)
                return dest, record
            except FileExistsError:
                continue                    # appeared since the check above; left as it is
            except BaseException:
                self._forget(record)
                raise
        raise AssertionError("unreachable")

    # -- the move journal ---------------------------------------------------------
    def _journal(self, src: Path, dest: Path, record: Path | None) -> Path:
        """Record (durably) that `src` is being moved to `dest`, before the link is made."""
        folder = self.tmp / JOURNAL
        folder.mkdir(parents=True, exist_ok=True)
        record = record or folder / f"{os.getpid()}-{os.urandom(6).hex()}.move"
        doc = {"src": self.relative(src), "dest": self.relative(dest)}
        self.write_atomic(record, (json.dumps(doc, sort_keys=True) + "\n").encode())
        return record

    @staticmethod
    def _forget(record: Path) -> None:
        record.unlink(missing_ok=True)

    def finish_moves(self) -> list[Path]:
        """Finish the moves that dead processes left between link and unlink (their journal records).

        Returns the leftover links removed; each file stays where its move was going. Records of
        running processes are left alone, and nothing without a record is touched.
        """
        folder = self.tmp / JOURNAL
        removed = []
        for record in sorted(folder.glob("*.move")) if folder.is_dir() else []:
            pid = record.name.split("-", 1)[0]
            if pid.isdigit() and pid_alive(int(pid)) and int(pid) != os.getpid():
                continue
            try:
                doc = json.loads(record.read_text(encoding="utf-8"))
                src, dest = self.resolve(doc["src"]), self.resolve(doc["dest"])
            except (OSError, ValueError, KeyError, TypeError):
                record.unlink(missing_ok=True)      # a half-written record: its move had not begun
                continue
            try:
                a, b = src.lstat(), dest.lstat()
            except FileNotFoundError:
                a = b = None                        # the link never happened, or the unlink did
            if a is not None and (a.st_dev, a.st_ino) == (b.st_dev, b.st_ino) and not stat.S_ISDIR(a.st_mode):
                src.unlink()
                fsync_dir(src.parent)
                removed.append(src)
            record.unlink(missing_ok=True)
        return removed

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


def original_name(name: str) -> str:
    """`name` without the ~N suffixes Storage.names() adds to avoid a clash."""
    while m := FREE_SUFFIX.match(name):
        name = m["stem"] + (m["ext"] or "")
    return name


def video_id(path: Path, chunk: int = 1 << 20) -> str:
    """A stable id for one input: its original name and content, so a re-run after a crash finds its
    outputs even when a move gave the file a ~N name (same content under `a~1.mp4` and `a.mp4`: one id)."""
    digest = hashlib.sha256(original_name(path.name).encode("utf-8", "surrogateescape") + b"\0")
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
