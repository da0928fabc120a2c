"""One HTTP reply helper for the small servers vvdash and the pipeline run (link server, webhook
receiver, pipeline services, DVR simulator)."""

from __future__ import annotations

from http.server import BaseHTTPRequestHandler


def reply(handler: BaseHTTPRequestHandler, status: int, body: bytes, ctype: str = "text/plain") -> None:
    """Send a whole response with its length (keep-alive clients need Content-Length)."""
    handler.send_response(status)
    handler.send_header("Content-Type", ctype)
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)
