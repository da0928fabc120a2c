"""OpenCV's sample clips from Debian's opencv-doc: real footage for the pipeline's tests and benchmark.

`make samples` (part of `make setup`) unpacks the package into .tools/opencv-doc when it is not
installed. The h264 clips ship gzipped in the HTML docs; clip() unpacks one into a folder you give.
"""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
DOC = Path("usr/share/doc/opencv-doc")
ROOTS = (Path("/"), PROJECT / ".tools" / "opencv-doc")
CLIPS = {
    "vtest.avi": DOC / "examples/data/vtest.avi",            # street, 768x576, 10 fps, pedestrians
    "tree.avi": DOC / "examples/data/tree.avi",              # a tree in wind, 320x240, dropped frames
    "Megamind.avi": DOC / "examples/data/Megamind.avi",      # animated trailer, faces
    "Megamind_bugy.avi": DOC / "examples/data/Megamind_bugy.avi",   # the same, deliberately damaged
    "box.mp4": DOC / "opencv4/html/box.mp4.gz",              # h264 in MP4, moov first
    "cup.mp4": DOC / "opencv4/html/cup.mp4.gz",
}


def source(name: str) -> Path | None:
    """Where the named clip (or its .gz) is on this machine, or None."""
    for root in ROOTS:
        path = root / CLIPS[name]
        if path.is_file():
            return path
    return None


def clip(name: str, folder: Path) -> Path:
    """A copy of the named clip in `folder` (unpacked when gzipped); FileNotFoundError when absent."""
    src = source(name)
    if src is None:
        raise FileNotFoundError(f"{name}: opencv-doc is not installed and not in .tools/ (run `make samples`)")
    dest = Path(folder) / name
    if src.suffix == ".gz":
        with gzip.open(src, "rb") as fin, open(dest, "wb") as fout:
            shutil.copyfileobj(fin, fout)
    else:
        shutil.copyfile(src, dest)
    return dest
