"""Lines that native libraries (FFmpeg inside OpenCV) print on file descriptor 2, as log records.

FFmpeg writes "[h264 @ 0x...] ..." straight to stderr, bypassing Python. capture() points fd 2 at
a pipe and logs each line it carries with a prefix, while Python's own logging and tracebacks keep
writing to the original stderr.
"""

from __future__ import annotations

import logging
import os
import sys
import threading

_started = False


def capture(logger: logging.Logger, prefix: str = "ffmpeg") -> None:
    """From now on, every line written to fd 2 by native code becomes `logger.warning("<prefix>: ...")`."""
    global _started
    if _started:
        return
    _started = True
    original = os.fdopen(os.dup(2), "w", buffering=1, encoding="utf-8", errors="replace")
    for handler in logging.getLogger().handlers:
        if isinstance(handler, logging.StreamHandler) and getattr(handler, "stream", None) in (sys.stderr,
                                                                                           sys.__stderr__):
            handler.setStream(original)
    sys.stderr = original
    read_fd, write_fd = os.pipe()
    os.dup2(write_fd, 2)
    os.close(write_fd)

    def pump():
        with os.fdopen(read_fd, "rb") as pipe:
            for raw in pipe:
                line = raw.decode("utf-8", "replace").rstrip()
                if line:
                    logger.warning("%s: %s", prefix, line)
    threading.Thread(target=pump, name=f"{prefix}-log", daemon=True).start()
