"""What a video container says about itself before any frame is decoded: is the file complete?

A file cut short (a crash of the writer, a copy that stopped, a prefix of a file still being
written) keeps the header that promised more bytes. The two containers DVRs write in files are
checked here: AVI (RIFF chunk sizes, patched by the muxer when it closes the file) and ISO BMFF
(MP4/MOV top-level box sizes, and the moov index without which no frame has a time). Streaming
containers (Matroska, MPEG-TS) carry no total size; for them the decoder's end time is compared
with the declared duration instead (scan_video).
"""

from __future__ import annotations

import struct
from pathlib import Path

ISO_BOXES = (b"ftyp", b"moov", b"mdat", b"free", b"wide", b"skip", b"uuid", b"moof", b"mfra", b"pdin",
             b"meta", b"styp", b"sidx", b"prft", b"emsg")


class Truncated(Exception):
    """The container promises more than the file holds; the message says what is missing."""


def check_complete(path: Path) -> None:
    """Raise Truncated when `path`'s container is plainly incomplete; other files pass unchecked."""
    size = path.stat().st_size
    with open(path, "rb") as fh:
        head = fh.read(12)
        if head[:4] == b"RIFF":
            _check_riff(fh, size)
        elif head[4:8] in ISO_BOXES:
            _check_iso(fh, size)


def _check_riff(fh, size: int) -> None:
    offset = 0
    while offset + 8 <= size:
        fh.seek(offset)
        tag, length = struct.unpack("<4sI", fh.read(8))
        if tag != b"RIFF":
            raise Truncated(f"unexpected chunk {tag!r} at byte {offset} after the RIFF list")
        if length == 0:
            raise Truncated("RIFF size is 0: the writer never closed the file")
        end = offset + 8 + length + (length & 1)
        if end > size + (length & 1):
            raise Truncated(f"RIFF chunk declares {offset + 8 + length} bytes, the file has {size}")
        offset = end
    if offset < size and size - offset >= 8:
        raise Truncated(f"{size - offset} bytes after the last RIFF chunk")


def _check_iso(fh, size: int) -> None:
    offset, seen = 0, set()
    while offset + 8 <= size:
        fh.seek(offset)
        length, kind = struct.unpack(">I4s", fh.read(8))
        header = 8
        if length == 1:
            (length,) = struct.unpack(">Q", fh.read(8))
            header = 16
        elif length == 0:
            length = size - offset            # "to the end of the file"
        if length < header:
            raise Truncated(f"box {kind!r} at byte {offset} has an impossible size {length}")
        if offset + length > size:
            raise Truncated(f"box {kind.decode('latin-1')!r} declares {offset + length} bytes, the file has {size}")
        seen.add(kind)
        offset += length
    if b"moov" not in seen:
        raise Truncated("no moov index: the file was never finished")
