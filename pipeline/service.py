"""The HTTP face every long-running pipeline service shares: /metrics, /healthz, and its own routes.

Bound to the inventory's address (127.0.0.1 by default). Handlers run in threads.
"""

from __future__ import annotations

import json
import logging
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from collections.abc import Callable
from pathlib import Path

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

from vvdash.http_reply import reply, write_ready_file  # noqa: F401  (pipeline modules import reply from here)

# A route handler takes the request body and query string, returns (status, content type, body).
Handler = Callable[[bytes, str], tuple[int, str, bytes]]


def json_response(status: int, obj) -> tuple[int, str, bytes]:
    return status, "application/json", (json.dumps(obj, sort_keys=True) + "\n").encode()


class ServiceHTTP:
    def __init__(self, name: str, address: str, port: int, registry: CollectorRegistry,
                 health: Callable[[], tuple[bool, str]] = lambda: (True, "ok"),
                 routes: dict[tuple[str, str], Handler] | None = None, ready_file: Path | None = None):
        self.name = name
        self.ready_file = ready_file      # where the port is written once listening (port 0: a free one)
        self.registry = registry
        self.health = health
        self.routes = dict(routes or {})
        self.log = logging.getLogger(name)
        self._server = ThreadingHTTPServer((address, port), self._handler_class())
        self._server.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return self._server.server_address[1]

    def _handler_class(self):
        service = self

        class _Handler(BaseHTTPRequestHandler):
            server_version = f"vv-{service.name}"

            def log_message(self, fmt, *args):  # access logs would drown the service's own lines
                pass

            def _send(self, status: int, ctype: str, body: bytes):
                reply(self, status, body, ctype)

            def _dispatch(self, method: str):
                path, _, query = self.path.partition("?")
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                try:
                    if method == "GET" and path == "/metrics":
                        return self._send(200, CONTENT_TYPE_LATEST, generate_latest(service.registry))
                    if method == "GET" and path == "/healthz":
                        ok, detail = service.health()
                        return self._send(200 if ok else 503, "text/plain", (detail + "\n").encode())
                    handler = service.routes.get((method, path))
                    if handler is None:
                        return self._send(404, "text/plain", b"not found\n")
                    return self._send(*handler(body, query))
                except Exception as exc:  # one bad request must not take the service down
                    service.log.exception("%s %s failed", method, path)
                    return self._send(500, "text/plain", f"{type(exc).__name__}: {exc}\n".encode())

            def do_GET(self):
                self._dispatch("GET")

            def do_POST(self):
                self._dispatch("POST")

        return _Handler

    def start(self) -> ServiceHTTP:
        self._thread = threading.Thread(target=self._server.serve_forever, name=f"{self.name}-http", daemon=True)
        self._thread.start()
        self.log.info("listening on http://%s:%d (/metrics, /healthz)", *self._server.server_address[:2])
        if self.ready_file is not None:
            write_ready_file(self.ready_file, self.port)
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def setup_logging(name: str, level: int = logging.INFO) -> logging.Logger:
    """Readable one-line logs on stderr: time, service, level, message."""
    logging.basicConfig(level=level, format="%(asctime)s %(name)s %(levelname)s %(message)s",
                        datefmt="%Y-%m-%dT%H:%M:%S")
    return logging.getLogger(name)
