"""Serves what the links in alert notifications open.

    GET /RUNBOOK.md            the runbook as an HTML page; each alert's section carries the id its
                               runbook_url's #anchor names, so the link opens at that section
    GET /RUNBOOK.md?raw        the Markdown itself
    GET /d/<uid>[/<slug>]      (with --dashboards) the generated dashboard: title, panels and their
                               queries, as a page; unknown uids answer 404, as Grafana does
    GET /healthz               200

The compose stack runs it as the `runbook` service (RUNBOOK.md only; Grafana serves the
dashboards there); the local stack runs it with --dashboards, as the target of both links.
"""

from __future__ import annotations

import argparse
import html
import json
import re
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

from vvdash.emit.alert_links import RUNBOOK_FILE, runbook_anchor
from vvdash.http_reply import add_listen_options, listen, reply, serve, threading_server

_UID = re.compile(r"^/d/([A-Za-z0-9_-]{1,40})(?:/[A-Za-z0-9_-]*)?/?$")


def _inline(text: str) -> str:
    """Markdown inline spans of the generated runbook: `code`, **bold**, *em*, [text](url)."""
    out = html.escape(text, quote=False)
    out = re.sub(r"`([^`]+)`", r"<code>\1</code>", out)
    out = re.sub(r"\*\*([^*]+)\*\*", r"<strong>\1</strong>", out)
    out = re.sub(r"(?<![*\w])\*([^*]+)\*(?!\w)", r"<em>\1</em>", out)
    return re.sub(r"\[([^\]]+)\]\(([^)\s]+)\)",
                  lambda m: f'<a href="{html.escape(html.unescape(m.group(2)))}">{m.group(1)}</a>', out)


def markdown_page(text: str, title: str) -> str:
    """The runbook's Markdown (headings, lists, fenced code, paragraphs) as one HTML page."""
    body: list[str] = []
    in_list = in_code = False
    for line in text.splitlines():
        if in_code:
            if line.startswith("```"):
                body.append("</code></pre>")
                in_code = False
            else:
                body.append(html.escape(line, quote=False))
            continue
        if in_list and not line.startswith("- "):
            body.append("</ul>")
            in_list = False
        if line.startswith("```"):
            body.append("<pre><code>")
            in_code = True
        elif m := re.match(r"^(#{1,6}) (.+)$", line):
            level, heading = len(m.group(1)), m.group(2).strip()
            body.append(f'<h{level} id="{runbook_anchor(heading)}">{_inline(heading)}</h{level}>')
        elif line.startswith("- "):
            if not in_list:
                body.append("<ul>")
                in_list = True
            body.append(f"<li>{_inline(line[2:])}</li>")
        elif line.strip():
            body.append(f"<p>{_inline(line)}</p>")
    if in_list:
        body.append("</ul>")
    if in_code:
        body.append("</code></pre>")
    return (f"<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>{html.escape(title)}</title></head>\n"
            "<body>\n" + "\n".join(body) + "\n</body></html>\n")


def _panels(model: dict):
    for panel in model.get("panels", []):
        yield panel
        yield from _panels(panel)   # rows hold their collapsed panels


def dashboard_page(model: dict) -> str:
    rows = []
    for panel in _panels(model):
        exprs = [t.get("expr", "") for t in panel.get("targets", []) if t.get("expr")]
        rows.append(f"<h2>{html.escape(str(panel.get('title') or panel.get('type', '')))}</h2>"
                    + "".join(f"<pre><code>{html.escape(e)}</code></pre>" for e in exprs))
    title = html.escape(model.get("title", model.get("uid", "")))
    return (f"<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>{title}</title></head>\n<body>\n"
            f"<h1>{title}</h1>\n<p>Dashboard <code>{html.escape(model.get('uid', ''))}</code> as generated "
            "by vvdash (the panels and their queries).</p>\n" + "\n".join(rows) + "\n</body></html>\n")


def make_server(address: str, port: int, runbook: Path, dashboards: Path | None = None) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        server_version = "vv-linkserver"

        def log_message(self, fmt, *args):
            pass

        def _send(self, status: int, body: str, ctype: str = "text/html; charset=utf-8"):
            reply(self, status, body.encode(), ctype)

        def do_GET(self):
            url = urlsplit(self.path)
            if url.path == "/healthz":
                return self._send(200, "ok\n", "text/plain")
            if url.path in ("/", f"/{RUNBOOK_FILE}"):
                try:
                    text = runbook.read_text(encoding="utf-8")
                except OSError:
                    return self._send(404, f"{RUNBOOK_FILE} not found\n", "text/plain")
                if url.query == "raw":
                    return self._send(200, text, "text/markdown; charset=utf-8")
                return self._send(200, markdown_page(text, "VV Video AI System: alert runbook"))
            m = _UID.match(url.path)
            if m and dashboards is not None:
                path = dashboards / f"{m.group(1)}.json"
                try:
                    model = json.loads(path.read_text(encoding="utf-8"))
                except (OSError, ValueError):
                    return self._send(404, "Dashboard not found\n", "text/plain")
                return self._send(200, dashboard_page(model))
            return self._send(404, "not found\n", "text/plain")

    return threading_server(address, port, Handler)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="vvdash.linkserver", description=__doc__.splitlines()[0])
    add_listen_options(parser)
    parser.add_argument("--runbook", type=Path, required=True, help="the generated RUNBOOK.md")
    parser.add_argument("--dashboards", type=Path, help="folder of generated dashboards (<uid>.json)")
    args = parser.parse_args(argv)
    if not args.runbook.is_file():
        print(f"linkserver: --runbook {args.runbook}: no such file", file=sys.stderr)
        return 2
    if args.dashboards is not None and not args.dashboards.is_dir():
        print(f"linkserver: --dashboards {args.dashboards}: no such folder", file=sys.stderr)
        return 2
    address = args.address or "127.0.0.1"
    server = listen("linkserver", address, args.port, lambda a, p: make_server(a, p, args.runbook, args.dashboards))
    if server is None:
        return 2
    return serve(server, lambda port: f"linkserver on http://{address}:{port}/{RUNBOOK_FILE}", args.ready_file)


if __name__ == "__main__":
    raise SystemExit(main())
