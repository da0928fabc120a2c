"""Writes that survive a crash or power loss: a file's bytes fsynced before it is renamed or
linked into place, and the folder fsynced after, so the rename itself is on disk. Used by the
build's atomic tree swap and by the pipeline's storage."""

from __future__ import annotations

import os
from pathlib import Path


def write_synced(path: Path, data: bytes, mode: int = 0o644) -> None:
    """A new file at `path` (never an existing one) holding `data`, fsynced."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_dir(path: Path) -> None:
    """Make a rename, link or unlink in directory `path` durable."""
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
