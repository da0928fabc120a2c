"""A webhook receiver for Alertmanager: records every notification to a file and prints it.

    POST /<anything>    one Alertmanager notification (JSON); appended as one line to the file
    GET  /notifications every notification received so far, as a JSON list
    GET  /healthz       200

Each line of the file is {"received_at": unix time, "path": request path, "payload": body}.
"""

from __future__ import annotations

import argparse
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from vvdash.http_reply import add_listen_options, listen, reply, serve, threading_server


def read_notifications(path: Path) -> list[dict]:
    """Every recorded notification (a torn last line, mid-write, is skipped)."""
    out: list[dict] = []
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return out
    for line in lines:
        try:
            out.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    return out


def summary(record: dict) -> str:
    payload = record.get("payload") or {}
    alerts = payload.get("alerts") or []
    names = ", ".join(sorted({a.get("labels", {}).get("alertname", "?") for a in alerts})) or "-"
    return (f"notification {record['path']} receiver={payload.get('receiver', '?')} "
            f"status={payload.get('status', '?')} alerts={len(alerts)} [{names}]")


def make_server(address: str, port: int, out: Path) -> ThreadingHTTPServer:
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        server_version = "vv-webhook-receiver"

        def log_message(self, fmt, *args):
            pass

        def do_GET(self):
            if self.path == "/healthz":
                return reply(self, 200, b"ok\n")
            if self.path == "/notifications":
                with lock:
                    records = read_notifications(out)
                return reply(self, 200, json.dumps(records).encode(), "application/json")
            return reply(self, 404, b"not found\n")

        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            try:
                payload = json.loads(body or b"null")
            except json.JSONDecodeError:
                return reply(self, 400, b"body is not JSON\n")
            record = {"received_at": time.time(), "path": self.path, "payload": payload}
            with lock:
                with open(out, "a", encoding="utf-8") as fh:
                    fh.write(json.dumps(record, sort_keys=True) + "\n")
            print(summary(record), flush=True)
            return reply(self, 200, b"ok\n")

    return threading_server(address, port, Handler)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="vvdash.stack.webhook", description=__doc__.splitlines()[0])
    add_listen_options(parser)
    parser.add_argument("--out", type=Path, required=True, help="file every notification is appended to")
    args = parser.parse_args(argv)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    address = args.address or "127.0.0.1"
    server = listen("webhook receiver", address, args.port, lambda a, p: make_server(a, p, args.out))
    if server is None:
        return 2
    return serve(server, lambda port: f"webhook receiver on http://{address}:{port}/ -> {args.out}", args.ready_file)


if __name__ == "__main__":
    raise SystemExit(main())
