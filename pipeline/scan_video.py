"""scan_video: decode a video with OpenCV, sample frames, detect motion, people and faces.

Writes analytics/<video_id>.json (validated against analytic.schema.json). As a service it answers
POST /process {"video_id": ..., "path": "processing/<name>"} with {"status": ok|corrupted|failure, ...}.
"""

from __future__ import annotations

import json
import logging
import math
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import cv2

from pipeline import _common, native_log
from pipeline.containers import Truncated, check_complete
from pipeline.detection import FrameDetector, confirmed_counts
from pipeline.schemas import first_error
from pipeline.service import setup_logging
from pipeline.storage import Storage

COMPONENT = "scan_video"
cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_ERROR)  # our own log line names the file
log = logging.getLogger(COMPONENT)

# Leading bytes of the containers a DVR writes (ISO BMFF/MP4/MOV, AVI, Matroska/WebM, MPEG-TS/PS).
_MAGIC = ((4, b"ftyp"), (0, b"RIFF"), (0, b"\x1a\x45\xdf\xa3"), (0, b"\x47"), (0, b"\x00\x00\x01\xba"),
          (4, b"moov"), (4, b"mdat"), (4, b"free"), (4, b"wide"))


class Corrupt(Exception):
    """An input that is not a readable video; `reason` is a short, bounded label value."""

    def __init__(self, reason: str, detail: str):
        super().__init__(detail)
        self.reason = reason


def sniff(path: Path) -> None:
    """Refuse what is plainly not a video container before FFmpeg guesses (it would open a PNG)."""
    if path.is_symlink():
        raise Corrupt("symlink", "a symlink (never followed)")
    if not path.is_file():
        raise Corrupt("not_a_file", "not a regular file")
    size = path.stat().st_size
    if size == 0:
        raise Corrupt("empty", "0 bytes")
    with open(path, "rb") as fh:
        head = fh.read(16)
    if not any(head[off:off + len(magic)] == magic for off, magic in _MAGIC):
        kind = "PNG image" if head.startswith(b"\x89PNG") else "JPEG image" if head.startswith(b"\xff\xd8") \
            else "unknown content"
        raise Corrupt("not_a_video", f"not a video container ({kind})")


@dataclass
class Detectors:
    hog: cv2.HOGDescriptor
    faces: cv2.CascadeClassifier

    @classmethod
    def load(cls) -> Detectors:
        hog = cv2.HOGDescriptor()
        hog.setSVMDetector(cv2.HOGDescriptor_getDefaultPeopleDetector())
        cascade = cv2.CascadeClassifier(cv2.data.haarcascades + "haarcascade_frontalface_default.xml")
        if cascade.empty():
            raise RuntimeError("OpenCV's haarcascade_frontalface_default.xml did not load")
        return cls(hog, cascade)


class _NoMetrics:
    def __getattr__(self, _):
        return self

    def __call__(self, *a, **k):
        return self

    def labels(self, *a, **k):
        return self


def _timestamp(cap, decoded: int, fps: float) -> float:
    """The frame's presentation time from the container; its place at `fps` when there is none."""
    t = cap.get(cv2.CAP_PROP_POS_MSEC) / 1000.0
    return t if math.isfinite(t) and t >= 0 else decoded / fps


def analyse(path: Path, sample_fps: float, detectors: Detectors) -> dict:
    """Decode `path` and return the analytic body (without ids); Corrupt when it cannot be read.

    Frames are sampled by their timestamps (every 1/sample_fps s of video, so dropped or repeated
    frames do not skew the clock) and only sampled frames are converted to pictures (grab() decodes,
    retrieve() converts). The duration runs to the last frame's timestamp plus one frame.
    """
    try:
        check_complete(path)
    except Truncated as exc:
        raise Corrupt("truncated", str(exc)) from None
    cap = cv2.VideoCapture(str(path), cv2.CAP_FFMPEG)
    try:
        if not cap.isOpened():
            raise Corrupt("undecodable", "OpenCV/FFmpeg cannot open it (truncated or damaged container)")
        fps = cap.get(cv2.CAP_PROP_FPS) or 0.0
        if not (0 < fps < 1000):
            fps = 25.0
        declared = cap.get(cv2.CAP_PROP_FRAME_COUNT) or 0.0
        period = 1.0 / sample_fps
        samples, boxes, decoded, end, next_t = [], [], 0, 0.0, 0.0
        width = height = 0
        detector = None
        while cap.grab():
            t = _timestamp(cap, decoded, fps)
            decoded += 1
            end = max(end, t)
            if t + 1e-6 < next_t:
                continue
            next_t = (math.floor(t / period + 1e-6) + 1) * period
            ok, frame = cap.retrieve()
            if not ok or frame is None:
                continue
            if detector is None:
                height, width = frame.shape[:2]
                detector = FrameDetector(width, height, detectors.hog, detectors.faces)
            found = detector.detect(frame, t)
            boxes.append(found.people)
            samples.append({"t": round(t, 3), "motion": round(found.motion, 4), "faces": len(found.faces)})
    finally:
        cap.release()
    if not samples:
        raise Corrupt("no_frames", "the container holds no decodable frame")
    for sample, people in zip(samples, confirmed_counts(boxes, [s["t"] for s in samples], period), strict=True):
        sample["people"] = people
    if end <= 0 and decoded > 1:
        end = (decoded - 1) / fps            # a stream without timestamps: its frame rate is all there is
    duration = end + 1.0 / fps
    promised = declared / fps if 0 < declared < 1e9 else 0.0
    if promised and duration < promised - max(1.0, 0.1 * promised):
        raise Corrupt("truncated", f"frames end at {duration:.2f} s of the {promised:.2f} s the container declares")
    motion = [s["motion"] for s in samples[1:]] or [0.0]   # the first sample has no history
    return {
        "fps": round(fps, 3), "frame_count": decoded, "duration_seconds": round(duration, 3),
        "sample_fps": sample_fps, "frames_scanned": len(samples), "width": width, "height": height,
        "motion_ratio": round(sum(motion) / len(motion), 4),
        "people_max": max(s["people"] for s in samples), "faces_max": max(s["faces"] for s in samples),
        "objects": {"person": sum(s["people"] for s in samples), "face": sum(s["faces"] for s in samples)},
        "samples": samples,
    }


class Scanner:
    def __init__(self, storage: Storage, sample_fps: float, metrics: dict | None = None):
        self.storage = storage
        self.sample_fps = sample_fps
        self._local = threading.local()        # OpenCV's cascade is not thread-safe: one set per thread
        self._local.detectors = Detectors.load()   # fails at start, not on the first video
        self.m = metrics if metrics is not None else _NoMetricsDict()

    def detectors(self) -> Detectors:
        if getattr(self._local, "detectors", None) is None:
            self._local.detectors = Detectors.load()
        return self._local.detectors

    def scan(self, video_id: str, path: Path) -> dict:
        """Analyse one video; idempotent: an existing valid analytic is returned as is."""
        out = self.storage.analytic_path(video_id)
        if out.exists():
            return {"status": "ok", "analytic": self.storage.relative(out), "cached": True}
        started = time.perf_counter()
        try:
            sniff(path)
            body = analyse(path, self.sample_fps, self.detectors())
        except Corrupt as exc:
            self.m["vv_scan_video_processed_total"].labels(status="corrupted").inc()
            return {"status": "corrupted", "reason": exc.reason, "detail": str(exc)}
        except Exception as exc:  # an OpenCV error on one file must not stop the service
            log.exception("%s: scan failed", path.name)
            self.m["vv_scan_video_processed_total"].labels(status="failure").inc()
            return {"status": "failure", "reason": "scan_error", "detail": f"{type(exc).__name__}: {exc}"}
        doc = {"schema": "vv.analytic/1", "video_id": video_id, "video": path.name, **body}
        error = first_error("analytic", doc)
        if error:
            self.m["vv_scan_video_schema_validation_errors_total"].inc()
            self.m["vv_scan_video_processed_total"].labels(status="failure").inc()
            log.error("%s: analytic not written: %s", path.name, error)
            return {"status": "failure", "reason": "analytic_schema_invalid", "detail": error}
        self.storage.write_atomic(out, (json.dumps(doc, sort_keys=True, ensure_ascii=False) + "\n").encode())
        self.m["vv_scan_video_duration_seconds"].observe(time.perf_counter() - started)
        self.m["vv_scan_video_frames_scanned_total"].inc(doc["frames_scanned"])
        for kind, count in doc["objects"].items():
            self.m["vv_scan_video_objects_detected_total"].labels(object_type=kind).inc(count)
        self.m["vv_scan_video_faces_detected_total"].inc(doc["objects"]["face"])
        self.m["vv_scan_video_processed_total"].labels(status="success").inc()
        log.info("%s: %d frames scanned, people<=%d, faces<=%d, motion %.2f", path.name, doc["frames_scanned"],
                 doc["people_max"], doc["faces_max"], doc["motion_ratio"])
        return {"status": "ok", "analytic": self.storage.relative(out)}

    def handle(self, request: dict) -> dict:
        try:
            path = self.storage.resolve(request["path"])
        except (KeyError, ValueError) as exc:
            return {"status": "corrupted", "reason": "refused_path", "detail": str(exc)}
        return self.scan(request["video_id"], path)


class _NoMetricsDict(dict):
    """Stands in for the instruments when a caller measures nothing (the benchmark's baseline)."""

    def __missing__(self, key):
        return _NoMetrics()


def init_metrics(metrics: dict) -> None:
    """Expose the bounded label values at 0 from the start, so rate() sees the first increment."""
    for status in ("success", "failure", "corrupted"):
        metrics["vv_scan_video_processed_total"].labels(status=status)
    for kind in ("person", "face"):
        metrics["vv_scan_video_objects_detected_total"].labels(object_type=kind)


def main(argv=None) -> int:
    args = _common.service_parser(COMPONENT, __doc__.splitlines()[0]).parse_args(argv)
    setup_logging(COMPONENT)
    native_log.capture(logging.getLogger(COMPONENT))
    inv = _common.load_inventory(args)
    storage = Storage(_common.storage_root(inv, args)).ensure()
    registry, metrics = _common.registry_for(COMPONENT)
    init_metrics(metrics)
    scanner = Scanner(storage, float(inv["pipeline"]["sample_fps"]), metrics)
    return _common.serve_stage(COMPONENT, inv, args, registry, scanner.handle)


if __name__ == "__main__":
    raise SystemExit(main())
