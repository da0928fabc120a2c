"""The small HTTP servers vvdash and the pipeline run (link server, webhook receiver, pipeline
services, DVR simulator): one reply helper and one serve loop.

A server started with port 0 binds a port of the kernel's choosing and reports it: in its ready
line, and in `--ready-file` when given (written once listening), so whoever started it never has
to guess a free port and race another process for it.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from vvdash.errors import VVError


def reply(handler: BaseHTTPRequestHandler, status: int, body: bytes, ctype: str = "text/plain") -> None:
    """Send a whole response with its length (keep-alive clients need Content-Length)."""
    handler.send_response(status)
    handler.send_header("Content-Type", ctype)
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)


def threading_server(address: str, port: int, handler: type[BaseHTTPRequestHandler]) -> ThreadingHTTPServer:
    """A server answering each request on its own thread; those threads never hold up an exit."""
    server = ThreadingHTTPServer((address, port), handler)
    server.daemon_threads = True
    return server


def add_listen_options(parser: argparse.ArgumentParser, port_required: bool = True) -> None:
    """--address, --port (0: any free port) and --ready-file."""
    parser.add_argument("--address", default=None, help="address to listen on (default: 127.0.0.1)")
    parser.add_argument("--port", type=int, required=port_required, default=None,
                        help="port to listen on; 0 picks a free one (reported in the ready line and --ready-file)")
    parser.add_argument("--ready-file", type=Path, default=None,
                        help="once listening, write the port bound to this file")


def listen(name: str, address: str, port: int, make: Callable[[str, int], ThreadingHTTPServer]) -> ThreadingHTTPServer | None:
    """`make(address, port)`, or None after one line on stderr when the address cannot be bound."""
    try:
        return make(address, port)
    except OSError as exc:
        print(f"{name}: cannot listen on {address}:{port}: {exc.strerror}", file=sys.stderr)
        return None


def serve(server: ThreadingHTTPServer, ready: Callable[[int], str], ready_file: Path | None = None,
          log: Callable[[str], None] | None = None) -> int:
    """Serve until SIGTERM or Ctrl-C: announce `ready(port)` (and write `ready_file`) first."""
    port = server.server_address[1]
    signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=server.shutdown, daemon=True).start())
    (log or (lambda line: print(line, flush=True)))(ready(port))
    if ready_file is not None:
        write_ready_file(ready_file, port)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    server.server_close()
    return 0


def write_ready_file(path: Path, port: int) -> None:
    """The port, written whole (a reader never sees a half-written file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(f"{port}\n")
    os.replace(tmp, path)


def wait_ready_file(path: Path, timeout: float = 30.0, proc=None) -> int:
    """The port a server started with --ready-file reports; VVError when it exits or times out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            return int(path.read_text())
        except (FileNotFoundError, ValueError):
            pass
        if proc is not None and proc.poll() is not None:
            raise VVError(f"{path}: the server exited with code {proc.returncode} before it was listening")
        time.sleep(0.05)
    raise VVError(f"{path}: no port reported within {timeout:g} s")
