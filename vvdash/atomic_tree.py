"""Replace a whole folder in one step: stage the new tree beside it, then swap the two.

On Linux the swap is renameat2(RENAME_EXCHANGE): both names exist at every instant and each
holds a complete tree, so a failure or a kill at any point leaves either the old folder or the
new one. Elsewhere (or on a filesystem without it) the swap is two renames; should a kill fall
between them, the next run puts the previous folder back before doing anything else.

Leftovers of a killed run are siblings named `.<folder>.staging-*` / `.<folder>.previous-*`;
the next run removes them. A lock on the parent folder keeps two runs from overlapping.
"""

from __future__ import annotations

import ctypes
import errno
import fcntl
import os
import shutil
import stat
import tempfile
from pathlib import Path

from vvdash.durable import fsync_dir, write_synced

_AT_FDCWD = -100
_RENAME_EXCHANGE = 2


def staging_prefix(out: Path) -> str:
    return f".{out.name}.staging-"


def previous_prefix(out: Path) -> str:
    return f".{out.name}.previous-"


def _libc_exchange():
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        func = libc.renameat2
    except (OSError, AttributeError):
        return None
    func.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    return func


_RENAMEAT2 = _libc_exchange()


def exchange(a: Path, b: Path) -> bool:
    """Swap two paths atomically; False when the system or filesystem cannot."""
    if _RENAMEAT2 is None:
        return False
    if _RENAMEAT2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP, errno.EOPNOTSUPP):
        return False
    raise OSError(err, os.strerror(err), str(b))


def _remove_tree(path: Path) -> None:
    def writable_and_retry(func, target, _exc):
        # A folder made read-only inside our own leftovers: make it writable, try once more.
        os.chmod(os.path.dirname(target), stat.S_IRWXU)
        func(target)
    shutil.rmtree(path, onerror=writable_and_retry)


def recover(out: Path) -> None:
    """Undo what a killed run left: put a previous tree back if `out` is gone; drop staging trees."""
    parent = out.parent
    previous = sorted(p for p in parent.glob(previous_prefix(out) + "*") if p.is_dir())
    if previous and not os.path.lexists(out):
        os.rename(previous.pop(), out)
    for leftover in previous + sorted(parent.glob(staging_prefix(out) + "*")):
        if leftover.is_dir() and not leftover.is_symlink():
            _remove_tree(leftover)


def tidy(out: Path) -> None:
    """recover() under the lock, for a run that has nothing to write."""
    out = Path(os.path.realpath(out))
    if out.parent.is_dir():
        with _ParentLock(out.parent):
            recover(out)


def _write_file(root: Path, rel: str, content: bytes) -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    write_synced(path, content)


class _ParentLock:
    def __init__(self, parent: Path):
        self.fd = os.open(parent, os.O_RDONLY | os.O_DIRECTORY)

    def __enter__(self):
        fcntl.flock(self.fd, fcntl.LOCK_EX)
        return self

    def __exit__(self, *exc):
        os.close(self.fd)   # closing releases the lock


def replace_tree(out: Path, files: dict[str, bytes]) -> None:
    """Make `out` hold exactly `files` ({relative path: bytes}) in one step. OSError on failure,
    with `out` as it was."""
    out = Path(os.path.realpath(out))
    parent = out.parent
    parent.mkdir(parents=True, exist_ok=True)
    with _ParentLock(parent):
        recover(out)
        mode = stat.S_IMODE(os.stat(out).st_mode) if out.is_dir() else 0o755
        staging = Path(_mkdtemp(parent, staging_prefix(out)))
        try:
            for rel, content in sorted(files.items()):
                _write_file(staging, rel, content)
            for folder in sorted({(staging / rel).parent for rel in files}, key=lambda p: -len(p.parts)):
                fsync_dir(folder)
            os.chmod(staging, mode)
            _swap_in(staging, out)
        except BaseException:
            if os.path.isdir(staging):
                _remove_tree(staging)   # the unfinished new tree; `out` was not touched
            raise
        # `staging` now holds the old tree. Removing it may fail (a folder someone made
        # read-only): the next run removes it; `out` is complete either way.
        try:
            fsync_dir(parent)
            _remove_tree(staging)
        except OSError:
            pass


def _swap_in(staging: Path, out: Path) -> None:
    """Put `staging` at `out`; afterwards `staging` holds what was at `out` (or nothing)."""
    if not os.path.lexists(out):
        os.rename(staging, out)
    elif not exchange(staging, out):
        previous = Path(_mkdtemp(out.parent, previous_prefix(out)))
        os.rmdir(previous)
        os.rename(out, previous)
        try:
            os.rename(staging, out)
        except BaseException:
            os.rename(previous, out)   # put the old tree back before reporting
            raise
        os.rename(previous, staging)


def _mkdtemp(parent: Path, prefix: str) -> str:
    return tempfile.mkdtemp(dir=parent, prefix=prefix)
