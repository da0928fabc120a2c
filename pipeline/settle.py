"""When an input is finished: nobody holds it open for writing and it has been still for a while.

A camera, a copy or an upload may put a file into input/ under its final name and keep writing to
it. Claiming it then processes a prefix (or, once the writer re-creates the name, files fragments).
An input is ready only when
  * its size and mtime have not changed for `settle_seconds` (seen by this process, or told by an
    mtime already that old when the file is first seen), and
  * no process on this host has it open for writing (/proc/<pid>/fd; a writer on another host is
    covered by the stillness rule alone).
"""

from __future__ import annotations

import os
import time
from pathlib import Path

DEFAULT_SETTLE_SECONDS = 2.0
_WRITE_MODES = (os.O_WRONLY, os.O_RDWR)


class SettleWatch:
    def __init__(self, settle_seconds: float = DEFAULT_SETTLE_SECONDS):
        self.settle = float(settle_seconds)
        self.seen: dict[str, tuple[int, int, float]] = {}   # name -> (size, mtime_ns, still since, monotonic)

    def still(self, entry: Path) -> bool:
        """True once `entry`'s size and mtime have been unchanged for settle_seconds."""
        try:
            st = entry.lstat()
        except FileNotFoundError:
            self.seen.pop(entry.name, None)
            return False
        now = time.monotonic()
        key = (st.st_size, st.st_mtime_ns)
        known = self.seen.get(entry.name)
        if known is None or known[:2] != key:
            age = max(0.0, min(time.time() - st.st_mtime, self.settle))   # untouched since its mtime
            known = (*key, now - age)
            self.seen[entry.name] = known
        return now - known[2] >= self.settle

    def ready(self, entries: list[Path]) -> list[Path]:
        """The entries that are still and that no local process has open for writing."""
        names = {e.name for e in entries}
        self.seen = {k: v for k, v in self.seen.items() if k in names}     # names gone or claimed meanwhile
        still = [e for e in entries if self.still(e)]
        if not still:
            return []
        busy = written_inodes()
        out = []
        for e in still:
            try:
                st = e.lstat()
            except FileNotFoundError:
                continue
            if (st.st_dev, st.st_ino) not in busy:
                out.append(e)
        return out

    def forget(self, name: str) -> None:
        self.seen.pop(name, None)


def written_inodes() -> set[tuple[int, int]]:
    """(device, inode) of every file some process here holds open for writing (those we may read)."""
    out: set[tuple[int, int]] = set()
    try:
        pids = [p for p in os.listdir("/proc") if p.isdigit()]
    except OSError:
        return out
    for pid in pids:
        fd_dir = f"/proc/{pid}/fd"
        try:
            fds = os.listdir(fd_dir)
        except OSError:
            continue                          # gone, or not ours to read
        for fd in fds:
            try:
                with open(f"/proc/{pid}/fdinfo/{fd}", "rb") as fh:
                    flags = next((int(line.split()[1], 8) for line in fh if line.startswith(b"flags:")), 0)
                if (flags & os.O_ACCMODE) not in _WRITE_MODES:
                    continue
                st = os.stat(f"{fd_dir}/{fd}")
            except (OSError, ValueError, IndexError):
                continue
            out.add((st.st_dev, st.st_ino))
    return out
