"""Reading an inventory file without trusting it: a regular file, of bounded size, UTF-8.

A FIFO, device, directory or symlink loop is refused from its stat, before any read (opening a
FIFO for reading would block until a writer appears; /dev/zero never ends).
"""

from __future__ import annotations

import errno
import os
import re
import stat

from vvdash.errors import VVError

# The shipped inventory is about 5 KB (this is room for some 200 sites); parsing the densest
# YAML of this size takes about 0.3 s of CPU, so a refusal stays under a second.
MAX_BYTES = 128 * 1024

_KINDS = ((stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a FIFO"), (stat.S_ISCHR, "a character device"),
          (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"))


def _kind(mode: int) -> str:
    return next((name for test, name in _KINDS if test(mode)), "not a regular file")


def _refuse_kind(label: str, mode: int) -> None:
    if not stat.S_ISREG(mode):
        raise VVError(f"{label}: cannot read inventory: {_kind(mode)}, not a regular file")


def read_bytes(path, label: str, limit: int = MAX_BYTES) -> bytes:
    try:
        st = os.stat(path)   # follows symlinks: a link to /dev/zero is a character device
    except FileNotFoundError:
        if os.path.islink(path):
            raise VVError(f"{label}: cannot read inventory: a symlink to a missing file") from None
        raise VVError(f"{label}: inventory file not found") from None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise VVError(f"{label}: cannot read inventory: a symlink loop") from None
        raise VVError(f"{label}: cannot read inventory: {exc.strerror}") from None
    _refuse_kind(label, st.st_mode)
    if st.st_size > limit:
        raise VVError(f"{label}: cannot read inventory: {st.st_size} bytes, more than the limit of {limit}")
    try:
        # O_NONBLOCK: should the path have become a FIFO since the stat, open does not wait.
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise VVError(f"{label}: cannot read inventory: {exc.strerror}") from None
    try:
        _refuse_kind(label, os.fstat(fd).st_mode)
        chunks, size = [], 0
        while size <= limit:
            chunk = os.read(fd, limit + 1 - size)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    except OSError as exc:
        raise VVError(f"{label}: cannot read inventory: {exc.strerror}") from None
    finally:
        os.close(fd)
    if size > limit:
        raise VVError(f"{label}: cannot read inventory: more than the limit of {limit} bytes")
    return b"".join(chunks)


def decode(data: bytes, label: str) -> str:
    """UTF-8 text (a UTF-8 byte order mark is dropped); the line of the first bad byte otherwise."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise VVError(f"{label}: line 1: not UTF-8 (a UTF-16 or UTF-32 byte order mark); save the file as UTF-8")
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        raise VVError(f"{label}: line {line}: not valid UTF-8 (byte {data[exc.start]:#04x})") from None


# Characters YAML refuses (C0/C1 controls but tab and line ends, DEL, noncharacters), and the
# hidden line breaks YAML 1.1 honours (NEL, LS, PS) that editors do not show as such.
_UNWANTED = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029\ufffe\uffff\ud800-\udfff]")


def check_characters(text: str, label: str) -> None:
    m = _UNWANTED.search(text)
    if m:
        line = text.count("\n", 0, m.start()) + 1
        raise VVError(f"{label}: line {line}: character U+{ord(m.group()):04X} is not allowed "
                      "(a control character or a hidden line break)")


def read_text(path, label: str) -> str:
    text = decode(read_bytes(path, label), label)
    check_characters(text, label)
    return text
