"""A simulated DVR: an MJPEG camera feed over HTTP on 127.0.0.1, with faults on demand.

    GET  /stream.mjpg            multipart/x-mixed-replace JPEG frames (path from the inventory's DVR)
    GET  /healthz                200 while the feed is up, 503 while it is down
    POST /control?state=down     refuse new streams (503) and close open ones; state=up brings it back
    POST /control?delay=SECONDS  extra pause before every frame (a slow or congested DVR); delay=0 resets
    POST /control?drop=1         close every open stream now (clients see a dropped connection)
    GET  /control                the current state as JSON

Stopping and restarting the process is the other way to take the DVR away.
"""

from __future__ import annotations

import argparse
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

import cv2

from pipeline.dvr_scenes import Scene
from pipeline.service import reply, setup_logging
from vvdash.http_reply import add_listen_options, listen, serve, threading_server

BOUNDARY = "vvframe"


class Feed:
    """Frames and fault state shared by every connection."""

    def __init__(self, fps: float = 10.0, quality: int = 80, width: int = 640, height: int = 360):
        self.fps = fps
        self.quality = quality
        self.scene = Scene(width, height, fps)
        self.up = True
        self.delay = 0.0
        self.generation = 0          # bumped to drop every open stream
        self.frames_sent = 0
        self.lock = threading.Lock()
        self._jpeg_cache: dict[int, bytes] = {}
        self.started = time.monotonic()

    def frame_number(self) -> int:
        return int((time.monotonic() - self.started) * self.fps)

    def jpeg(self, n: int) -> bytes:
        key = n % (self.scene.scene_frames * 3)   # the scene loops: encode each frame once
        data = self._jpeg_cache.get(key)
        if data is None:
            ok, buf = cv2.imencode(".jpg", self.scene.frame(key), [cv2.IMWRITE_JPEG_QUALITY, self.quality])
            data = buf.tobytes()
            self._jpeg_cache[key] = data
        return data

    def state(self) -> dict:
        return {"up": self.up, "delay": self.delay, "fps": self.fps, "frames_sent": self.frames_sent,
                "generation": self.generation}


def make_server(address: str, port: int, path: str, feed: Feed, log) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        server_version = "vv-dvr-simulator"
        protocol_version = "HTTP/1.0"

        def log_message(self, fmt, *args):
            pass

        def do_GET(self):
            route = self.path.split("?", 1)[0]
            if route == "/healthz":
                return reply(self, 200 if feed.up else 503, b"up\n" if feed.up else b"down\n")
            if route == "/control":
                return reply(self, 200, json.dumps(feed.state()).encode(), "application/json")
            if route != path:
                return reply(self, 404, b"not found\n")
            if not feed.up:
                return reply(self, 503, b"dvr down\n")
            self._stream()

        def do_HEAD(self):
            # What a blackbox HTTP probe sends: the stream's status without its endless body.
            route = self.path.split("?", 1)[0]
            status = 404 if route not in (path, "/healthz") else (200 if feed.up else 503)
            self.send_response(status)
            self.send_header("Content-Type", f"multipart/x-mixed-replace; boundary={BOUNDARY}"
                             if route == path else "text/plain")
            self.end_headers()

        def do_POST(self):
            route, _, query = self.path.partition("?")
            if route != "/control":
                return reply(self, 404, b"not found\n")
            params = {k: v[-1] for k, v in parse_qs(query).items()}
            with feed.lock:
                if params.get("state") in ("up", "down"):
                    feed.up = params["state"] == "up"
                    if not feed.up:
                        feed.generation += 1
                if "delay" in params:
                    feed.delay = max(0.0, float(params["delay"]))
                if params.get("drop"):
                    feed.generation += 1
            log.info("control %s -> %s", query, feed.state())
            return reply(self, 200, json.dumps(feed.state()).encode(), "application/json")

        def _stream(self):
            generation = feed.generation
            self.send_response(200)
            self.send_header("Content-Type", f"multipart/x-mixed-replace; boundary={BOUNDARY}")
            self.send_header("X-Frame-Rate", f"{feed.fps:g}")
            self.send_header("Cache-Control", "no-cache")
            self.end_headers()
            period = 1.0 / feed.fps
            next_at = time.monotonic()
            try:
                while feed.generation == generation:
                    data = feed.jpeg(feed.frame_number())
                    self.wfile.write(f"--{BOUNDARY}\r\nContent-Type: image/jpeg\r\n"
                                     f"Content-Length: {len(data)}\r\n\r\n".encode() + data + b"\r\n")
                    feed.frames_sent += 1
                    next_at += period + feed.delay
                    time.sleep(max(0.0, next_at - time.monotonic()))
                    if feed.delay == 0 and next_at < time.monotonic() - 1:
                        next_at = time.monotonic()   # a slow client must not get a burst afterwards
            except (BrokenPipeError, ConnectionResetError):
                pass

    return threading_server(address, port, Handler)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="dvr_simulator", description=__doc__.splitlines()[0])
    parser.add_argument("--inventory", help="vvdash.yaml (port, path and address from it)")
    parser.add_argument("--site", metavar="NAME", help="whose first DVR's path to serve (default: the first site)")
    add_listen_options(parser, port_required=False)     # --port overrides the inventory's services.dvr_simulator.port
    parser.add_argument("--path", default=None, help="stream path (default: the first DVR's path or /stream.mjpg)")
    parser.add_argument("--fps", type=float, default=10.0)
    args = parser.parse_args(argv)
    log = setup_logging("dvr_simulator")
    address, port, path = "127.0.0.1", 8554, "/stream.mjpg"
    if args.inventory:
        from vvdash.inventory import load
        inv = load(args.inventory)
        svc = inv.service("dvr_simulator")
        address, port = svc["address"], svc["port"]
        dvrs = inv.site(args.site).get("dvrs") or []
        path = dvrs[0].get("path", path) if dvrs else path
    address = args.address or address
    port = args.port if args.port is not None else port
    path = args.path or path
    feed = Feed(fps=args.fps)
    server = listen("dvr_simulator", address, port, lambda a, p: make_server(a, p, path, feed, log))
    if server is None:
        return 2
    return serve(server, lambda bound: f"serving MJPEG at http://{address}:{bound}{path} ({args.fps:g} fps)",
                 args.ready_file, log=log.info)


if __name__ == "__main__":
    raise SystemExit(main())
