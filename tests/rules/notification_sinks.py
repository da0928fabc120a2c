"""Local endpoints a real Alertmanager delivers to in tests: an HTTP sink standing in for the Slack,
PagerDuty and webhook APIs (it records each JSON body by path) and a minimal SMTP server (RFC 5321's
commands Alertmanager uses, no TLS, no auth) that records each message."""

from __future__ import annotations

import email
import email.policy
import json
import socketserver
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class HTTPSink:
    def __init__(self):
        self.received: list[tuple[str, dict]] = []
        sink = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, fmt, *args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                sink.received.append((self.path, json.loads(body or b"null")))
                # PagerDuty's events API answers 202; Slack and webhooks 200.
                self.send_response(202 if self.path.startswith("/pagerduty") else 200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def at(self, path: str) -> list[dict]:
        return [body for p, body in self.received if p == path]

    def close(self):
        self.server.shutdown()
        self.server.server_close()


class SMTPSink(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True

    def __init__(self):
        self.messages: list[email.message.EmailMessage] = []
        super().__init__(("127.0.0.1", 0), _SMTPHandler)
        self.address = f"127.0.0.1:{self.server_address[1]}"
        threading.Thread(target=self.serve_forever, daemon=True).start()

    def close(self):
        self.shutdown()
        self.server_close()


class _SMTPHandler(socketserver.StreamRequestHandler):
    def _say(self, text: str) -> None:
        self.wfile.write((text + "\r\n").encode())

    def handle(self):
        self._say("220 sink ESMTP")
        data: list[bytes] | None = None
        for raw in self.rfile:
            line = raw.rstrip(b"\r\n")
            if data is not None:
                if line == b".":
                    self.server.messages.append(email.message_from_bytes(b"\r\n".join(data),
                                                                         policy=email.policy.default))
                    data = None
                    self._say("250 OK queued")
                else:
                    data.append(line[1:] if line.startswith(b"..") else line)
                continue
            verb = line.decode(errors="replace").split(" ", 1)[0].upper()
            if verb == "EHLO":
                self._say("250-sink")
                self._say("250 8BITMIME")
            elif verb == "HELO":
                self._say("250 sink")
            elif verb in ("MAIL", "RCPT", "RSET", "NOOP"):
                self._say("250 OK")
            elif verb == "DATA":
                data = []
                self._say("354 end with <CRLF>.<CRLF>")
            elif verb == "QUIT":
                self._say("221 bye")
                return
            else:
                self._say("502 not implemented")
