"""agent_dvr: read each DVR's MJPEG stream and cut it into segments in input/.

A segment is `pipeline.segment_seconds` of frames at the stream's frame rate, written to tmp/
and renamed into input/ when complete (the orchestrator never sees half a file). A lost stream
closes the segment in progress (kept if it holds at least a second of video) and the agent
reconnects with exponential backoff, bounded by --max-backoff.
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import datetime, UTC

import cv2
import numpy as np
import requests

from pipeline import _common, native_log
from pipeline.service import setup_logging
from pipeline.storage import Storage

COMPONENT = "agent_dvr"
DEFAULT_FPS = 10.0
log = logging.getLogger(COMPONENT)


def dvr_url(dvr: dict) -> str:
    return f"http://{dvr['address']}:{dvr['port']}{dvr.get('path', '/')}"


def jpeg_frames(response: requests.Response, chunk: int = 65536):
    """Decoded frames of a multipart MJPEG response (parts found by their JPEG start/end markers)."""
    buf = bytearray()
    for block in response.iter_content(chunk):
        buf += block
        while True:
            start = buf.find(b"\xff\xd8")
            if start < 0:
                del buf[:-1]
                break
            end = buf.find(b"\xff\xd9", start + 2)
            if end < 0:
                del buf[:start]
                break
            data = bytes(buf[start:end + 2])
            del buf[:end + 2]
            frame = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
            if frame is not None:
                yield frame


class Segmenter:
    """Writes frames into tmp/, then renames each finished segment into input/."""

    def __init__(self, storage: Storage, dvr: str, fps: float, seconds: float):
        self.storage, self.dvr, self.fps = storage, dvr, fps
        self.frames_per_segment = max(1, int(round(fps * seconds)))
        self.writer = None
        self.tmp = None
        self.count = 0

    def add(self, frame) -> str | None:
        if self.writer is None:
            name = f"{self.dvr}-{datetime.now(UTC).strftime('%Y%m%dT%H%M%S.%f')[:-3]}Z.mp4"
            self.tmp = self.storage.temp_path(self.storage.input / name)
            h, w = frame.shape[:2]
            self.writer = cv2.VideoWriter(str(self.tmp), cv2.VideoWriter_fourcc(*"mp4v"), self.fps, (w, h))
            if not self.writer.isOpened():
                raise OSError(f"cannot open a video writer at {self.tmp}")
            self.name, self.count = name, 0
        self.writer.write(frame)
        self.count += 1
        return self.close() if self.count >= self.frames_per_segment else None

    def close(self, keep: bool = True) -> str | None:
        """Finish the segment in progress; returns its input/ name when kept."""
        if self.writer is None:
            return None
        self.writer.release()
        self.writer = None
        if keep and self.count >= min(self.frames_per_segment, self.fps):
            return self.storage.move(self.tmp, "input", self.name).name   # never replaces an input
        self.tmp.unlink(missing_ok=True)
        return None


class DVRAgent:
    def __init__(self, storage: Storage, dvr: dict, segment_seconds: float, metrics: dict,
                 connect_timeout: float = 3.0, read_timeout: float = 5.0, max_backoff: float = 30.0):
        self.storage, self.name, self.url = storage, dvr["name"], dvr_url(dvr)
        self.segment_seconds = segment_seconds
        self.connect_timeout, self.read_timeout, self.max_backoff = connect_timeout, read_timeout, max_backoff
        self.status = metrics["vv_agent_dvr_connection_status"].labels(dvr=self.name)
        self.errors = metrics["vv_agent_dvr_connection_errors_total"].labels(dvr=self.name)
        self.frames = metrics["vv_agent_dvr_frames_captured_total"].labels(dvr=self.name)
        self.segments = metrics["vv_agent_dvr_video_segments_created_total"].labels(dvr=self.name)
        self.connect_time = metrics["vv_agent_dvr_connect_duration_seconds"].labels(dvr=self.name)
        self.last_segment = metrics["vv_agent_dvr_last_segment_timestamp_seconds"].labels(dvr=self.name)
        self.status.set(0)
        self.connected = False
        self.wrote_segment = False

    def _connect(self) -> requests.Response:
        started = time.perf_counter()
        try:
            r = requests.get(self.url, stream=True, timeout=(self.connect_timeout, self.read_timeout))
            if r.status_code != 200:
                r.close()
                raise requests.ConnectionError(f"HTTP {r.status_code}")
            return r
        finally:
            self.connect_time.observe(time.perf_counter() - started)

    def run(self, stop: threading.Event) -> None:
        backoff = 0.5
        while not stop.is_set():
            try:
                response = self._connect()
            except requests.RequestException as exc:
                self.errors.inc()
                log.warning("%s: cannot connect to %s (%s); retry in %.1fs", self.name, self.url,
                            type(exc).__name__ if not str(exc).startswith("HTTP") else exc, backoff)
                stop.wait(backoff)
                backoff = min(backoff * 2, self.max_backoff)
                continue
            backoff = 0.5
            if not self.wrote_segment:
                # Until the first segment of this process the gauge would read 0 (1970), and "no segment
                # for X seconds while connected" would fire at every start: count from the connection.
                self.last_segment.set(time.time())
            self.status.set(1)
            self.connected = True
            fps = float(response.headers.get("X-Frame-Rate") or DEFAULT_FPS)
            log.info("%s: connected to %s (%g fps, %gs segments)", self.name, self.url, fps, self.segment_seconds)
            segmenter = Segmenter(self.storage, self.name, fps, self.segment_seconds)
            try:
                for frame in jpeg_frames(response):
                    self.frames.inc()
                    self._written(segmenter.add(frame))
                    if stop.is_set():
                        break
                if not stop.is_set():
                    raise requests.ConnectionError("stream ended")
            except (requests.RequestException, OSError) as exc:
                self.errors.inc()
                log.warning("%s: stream lost (%s)", self.name, type(exc).__name__)
            finally:
                response.close()
                self.status.set(0)
                self.connected = False
                self._written(segmenter.close())

    def _written(self, name: str | None) -> None:
        if name:
            self.wrote_segment = True
            self.segments.inc()
            self.last_segment.set(time.time())
            log.info("%s: segment input/%s", self.name, name)


def main(argv=None) -> int:
    parser = _common.service_parser(COMPONENT, __doc__.splitlines()[0])
    parser.add_argument("--max-backoff", type=float, default=30.0, help="longest wait between reconnects (s)")
    parser.add_argument("--read-timeout", type=float, default=5.0, help="a stream silent this long is lost (s)")
    args = parser.parse_args(argv)
    setup_logging(COMPONENT)
    native_log.capture(logging.getLogger(COMPONENT))   # FFmpeg (the segment writer) prints on fd 2
    inv = _common.load_inventory(args)
    storage = Storage(_common.storage_root(inv, args)).ensure()
    storage.clean_tmp()                      # segments cut short by an earlier crash
    registry, metrics = _common.registry_for(COMPONENT)
    stop = threading.Event()
    agents = [DVRAgent(storage, dvr, float(inv["pipeline"]["segment_seconds"]), metrics,
                       read_timeout=args.read_timeout, max_backoff=args.max_backoff)
              for dvr in _common.site(inv, args).get("dvrs", [])]
    threads = [threading.Thread(target=a.run, args=(stop,), name=f"dvr-{a.name}", daemon=True) for a in agents]
    for t in threads:
        t.start()

    def health():
        return True, " ".join(f"{a.name}={'connected' if a.connected else 'disconnected'}" for a in agents) or "no DVRs"
    http = _common.http_face(COMPONENT, inv, args, registry, health=health)
    _common.serve_until_stopped(http, on_stop=stop.set)
    for t in threads:
        t.join(timeout=5)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
