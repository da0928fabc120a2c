"""The preview's HTTP server: the index, each dashboard at /d/<uid>/<slug>, the static page
code and chart library, and the query API the page calls (answered by Prometheus).

Queries arrive with the panel's own expression, the time range, the panel's width (Grafana's
max data points) and the chosen variable values; the server fills in the variables and the
interval macros (see grafana_time) and asks Prometheus, so the browser needs no CORS setup.
"""

from __future__ import annotations

import html
import json
import re
import threading
import urllib.parse
from typing import Any
from concurrent.futures import ThreadPoolExecutor
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from vvdash import project_folder
from vvdash.check.contract import label_values
from vvdash.errors import VVError
from vvdash.preview import grafana_time, variables
from vvdash.preview.dashboards import Dashboard, load_dir
from vvdash.preview.prometheus import Prometheus, PrometheusError

STATIC = Path(__file__).with_name("static")
CHART_LIBRARY = ".tools/preview/node_modules/echarts/dist/echarts.min.js"    # fetched into the project folder
MAX_BODY = 1 << 20
_CONTENT_TYPES = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8",
                  ".html": "text/html; charset=utf-8"}


def chart_library() -> Path:
    path = project_folder.path(CHART_LIBRARY)
    if not path.is_file():
        raise VVError(f"{path}: the chart library is not installed; run `make setup` "
                      "(scripts/ensure-preview-deps.sh)")
    return path


class PreviewServer:
    """Serves `dashboards_dir` against `prometheus_url` on 127.0.0.1:`port` (0: a free port)."""

    def __init__(self, dashboards_dir: str | Path, prometheus_url: str, port: int = 0,
                 host: str = "127.0.0.1"):
        self.dashboards_dir = Path(dashboards_dir)
        self.dashboards: dict[str, Dashboard] = load_dir(self.dashboards_dir)
        self.library = chart_library()
        self.prometheus = Prometheus(prometheus_url)
        self.scrape_ms = self.prometheus.scrape_interval_ms()
        try:
            self.httpd = ThreadingHTTPServer((host, port), _handler(self))
        except OSError as exc:
            raise VVError(f"preview: cannot listen on {host}:{port} ({exc.strerror})") from None
        self.httpd.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self.httpd.socket.getsockname()[:2]
        return f"http://{host}:{port}"

    def reload(self) -> None:
        """Re-read the JSON files, so a rebuilt dashboard shows on the next page load."""
        try:
            self.dashboards = load_dir(self.dashboards_dir)
        except VVError:
            pass    # keep the last good set while a build is rewriting the folder

    def serve_forever(self) -> None:
        self.httpd.serve_forever(poll_interval=0.2)

    def start(self) -> PreviewServer:
        self._thread = threading.Thread(target=self.serve_forever, name="preview", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._thread is not None:       # shutdown() waits for a serve_forever() that runs
            self.httpd.shutdown()
            self._thread = None
        self.httpd.server_close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    # -- queries ------------------------------------------------------------------
    def query(self, body: dict) -> dict:
        """{from, to, maxDataPoints, vars, queries: [{refId, expr, instant, interval}]} ->
        {results: {refId: {expr, step_ms, interval, rate_interval, data | error, prometheus_ms}}}."""
        from_ms, to_ms = int(body["from"]), int(body["to"])
        width = int(body.get("maxDataPoints") or 1000)
        vars_ = body.get("vars") or {}
        queries = list(body.get("queries", []))

        def answer(q: dict) -> dict:
            try:
                return self._one_query(q, from_ms, to_ms, width, vars_)
            except (PrometheusError, ValueError) as exc:
                return {"error": str(exc), "expr": q.get("expr", "")}

        if len(queries) > 1:         # a panel's targets at once, as Grafana sends them together
            with ThreadPoolExecutor(max_workers=min(len(queries), 8)) as pool:
                answers = list(pool.map(answer, queries))
        else:
            answers = [answer(q) for q in queries]
        return {"results": {str(q.get("refId", "A")): a for q, a in zip(queries, answers, strict=True)}}

    def _one_query(self, q: dict, from_ms: int, to_ms: int, width: int, vars_: dict) -> dict:
        # A query's min interval ("Min step"): ">10s" means the same; an interval macro means none.
        min_interval = variables.substitute(str(q.get("interval") or ""), vars_).strip().lstrip(">")
        min_ms = grafana_time.parse_duration_ms(min_interval) if min_interval and not min_interval.startswith("$") else None
        iv = grafana_time.compute(from_ms, to_ms, width, self.scrape_ms, min_ms)
        expr = iv.interpolate(variables.substitute(str(q.get("expr", "")), vars_))
        out = {"expr": expr, "step_ms": iv.step_ms, "interval": iv.interval,
               "rate_interval": grafana_time.go_duration(iv.rate_ms)}
        try:
            if q.get("instant"):
                data, took = self.prometheus.get("/api/v1/query", {"query": expr, "time": to_ms / 1000})
            else:
                data, took = self.prometheus.get("/api/v1/query_range", {
                    "query": expr, "start": iv.start_ms / 1000, "end": iv.end_ms / 1000, "step": iv.step_ms / 1000})
        except PrometheusError as exc:
            return {**out, "error": str(exc)}       # with the expression as sent, to see what failed
        return {**out, "data": data, "prometheus_ms": round(took * 1000, 3)}

    def variable_values(self, body: dict) -> dict:
        """A query variable's options, from the Prometheus variable queries Grafana knows:
        label_values(selector, label), label_values(label), label_names(), metrics(regex) and
        query_result(expr) (each result as `name{labels} value timestamp`, for the variable's regex)."""
        query = str(body.get("query", "")).strip()
        vars_ = body.get("vars") or {}
        params: dict[str, object] = {"start": int(body["from"]) / 1000, "end": int(body["to"]) / 1000}
        values: Any
        parsed = label_values(query)
        bare = re.fullmatch(r"label_values\(\s*([A-Za-z_][A-Za-z0-9_]*)\s*\)", query)
        metrics = re.fullmatch(r"metrics\((.*)\)", query, re.S)
        result = re.fullmatch(r"query_result\((.*)\)", query, re.S)
        try:
            if parsed or bare:
                selector, label = parsed if parsed else ("", bare.group(1) if bare else "")
                if selector:
                    params["match[]"] = variables.substitute(selector, vars_)
                values, took = self.prometheus.get(f"/api/v1/label/{label}/values", params, method="GET")
            elif re.fullmatch(r"label_names\(\s*\)", query):
                values, took = self.prometheus.get("/api/v1/labels", params, method="GET")
            elif metrics:
                names, took = self.prometheus.get("/api/v1/label/__name__/values", params, method="GET")
                pattern = re.compile(variables.substitute(metrics.group(1).strip(), vars_) or ".*")
                values = [n for n in names if pattern.search(n)]
            elif result:
                expr = variables.substitute(result.group(1), vars_)
                data, took = self.prometheus.get("/api/v1/query", {"query": expr, "time": params["end"]})
                rows = data.get("result")
                rows = rows if isinstance(rows, list) else []
                values = [_result_line(r) for r in rows]
            else:
                return {"error": f"unsupported variable query {query!r} (the preview reads label_values, "
                                 "label_names, metrics and query_result)"}
        except PrometheusError as exc:
            return {"error": str(exc)}
        except re.error as exc:
            return {"error": f"{query!r}: bad regex ({exc})"}
        return {"values": values, "prometheus_ms": round(took * 1000, 3)}

    # -- pages --------------------------------------------------------------------
    def index_page(self) -> str:
        rows = []
        for d in sorted(self.dashboards.values(), key=lambda d: d.title.lower()):
            desc = html.escape(str(d.model.get("description", "")))
            tags = "".join(f'<span class="tag">{html.escape(t)}</span>' for t in d.tags)
            targets = [self.dashboards[u] for u in linked_uids(d.model) if u in self.dashboards and u != d.uid]
            links = ", ".join(f'<a href="{t.url}">{html.escape(t.title)}</a>' for t in targets)
            rows.append(f'<li><a class="dash-link" href="{d.url}">{html.escape(d.title)}</a> {tags}'
                        f'<div class="desc">{desc}</div>'
                        + (f'<div class="links-to">Links to: {links}</div>' if links else "") + "</li>")
        return _page("Dashboards", f'<header class="topbar"><h1>Dashboards</h1>'
                     f'<span class="muted">{len(self.dashboards)} from {html.escape(str(self.dashboards_dir))}, '
                     f'Prometheus {html.escape(self.prometheus.shown)}</span></header>'
                     f'<ul class="index">{"".join(rows)}</ul>', script=False)

    def dashboard_page(self, d: Dashboard) -> str:
        boot = {"dashboard": d.model, "url": d.url, "scrapeMs": self.scrape_ms,
                "dashboards": [{"uid": x.uid, "title": x.title, "url": x.url, "tags": list(x.tags)}
                               for x in sorted(self.dashboards.values(), key=lambda x: x.title.lower())]}
        data = json.dumps(boot).replace("</", "<\\/")
        return _page(d.title, f'<script id="boot" type="application/json">{data}</script><div id="app"></div>')

    def search(self) -> list[dict]:
        return [{"uid": d.uid, "title": d.title, "url": d.url, "tags": list(d.tags), "type": "dash-db"}
                for d in sorted(self.dashboards.values(), key=lambda d: d.title.lower())]


def _result_line(r: dict) -> str:
    """One instant-query result as Grafana's query_result() lists it."""
    metric = dict(r.get("metric", {}))
    name = metric.pop("__name__", "")
    labels = ",".join(f'{k}="{v}"' for k, v in metric.items())
    ts, value = r["value"]
    return f"{name}{{{labels}}} {value} {int(float(ts) * 1000)}"


def linked_uids(model: dict) -> list[str]:
    """The dashboards a dashboard's panel links point at (/d/<uid>...), in order of first use."""
    found: list[str] = []

    def walk(panels):
        for p in panels or []:
            for link in p.get("links") or []:
                m = re.match(r"^(?:https?://[^/]+)?/d/([A-Za-z0-9_-]+)", str(link.get("url", "")))
                if m and m.group(1) not in found:
                    found.append(m.group(1))
            walk(p.get("panels"))
    walk(model.get("panels"))
    return found


def _page(title: str, body: str, script: bool = True) -> str:
    # The chart library loads in parallel with the variable queries; app.js waits for it to draw.
    scripts = ('<script>var VVCharts = new Promise(function (ok, fail) { window.VVChartsLoaded = function (loaded) '
               '{ loaded ? ok() : fail(new Error("the chart library did not load")); }; });</script>'
               '<script async src="/public/echarts.min.js" onload="VVChartsLoaded(true)" '
               'onerror="VVChartsLoaded(false)"></script>'
               '<script src="/public/format.js"></script><script src="/public/panels.js"></script>'
               '<script src="/public/app.js"></script>') if script else ""
    return (f'<!doctype html><html><head><meta charset="utf-8"><title>{html.escape(title)} - vvdash preview</title>'
            f'<link rel="icon" href="data:,"><link rel="stylesheet" href="/public/preview.css">{scripts}</head><body>{body}</body></html>')


def _handler(server: PreviewServer):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, fmt, *args):   # quiet: one line per request would drown the demo
            pass

        def _send(self, status: int, body: bytes, ctype: str, extra: dict | None = None):
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            extra = {"Cache-Control": "no-store", **(extra or {})}
            for k, v in extra.items():
                self.send_header(k, v)
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        def _json(self, obj, status: int = 200):
            self._send(status, json.dumps(obj).encode(), "application/json")

        def _html(self, text: str, status: int = 200):
            self._send(status, text.encode(), "text/html; charset=utf-8")

        def _not_found(self, what: str):
            self._html(_page("Not found", f'<div class="notfound"><h1>Not found</h1><p>{html.escape(what)}</p>'
                             f'<p><a href="/">All dashboards</a></p></div>', script=False), 404)

        def do_HEAD(self):
            self.do_GET()

        def do_GET(self):
            url = urllib.parse.urlsplit(self.path)
            parts = [urllib.parse.unquote(p) for p in url.path.split("/") if p]
            if not parts or parts == ["dashboards"]:
                server.reload()
                return self._html(server.index_page())
            if parts in (["api", "health"], ["healthz"]):
                return self._json({"database": "ok", "version": "vvdash-preview"})
            if parts == ["api", "search"]:
                return self._json(server.search())
            if parts[0] == "d" and len(parts) in (2, 3):
                server.reload()
                d = server.dashboards.get(parts[1])
                if d is None:
                    return self._not_found(f"no dashboard with uid {parts[1]!r}")
                if len(parts) == 2 or parts[2] != d.slug:     # as Grafana: redirect to the canonical slug
                    target = d.url + (f"?{url.query}" if url.query else "")
                    return self._send(302, b"", "text/plain", {"Location": target})
                return self._html(server.dashboard_page(d))
            if len(parts) == 4 and parts[:3] == ["api", "dashboards", "uid"]:
                d = server.dashboards.get(parts[3])
                if d is None:
                    return self._json({"message": "Dashboard not found"}, 404)
                return self._json({"dashboard": d.model, "meta": {"slug": d.slug, "url": d.url}})
            if len(parts) == 2 and parts[0] == "public":
                cache = {"Cache-Control": "max-age=300"}     # page code and library: cached like Grafana's
                if parts[1] == "echarts.min.js":
                    return self._send(200, server.library.read_bytes(), _CONTENT_TYPES[".js"], cache)
                path = STATIC / parts[1]
                if path.suffix in _CONTENT_TYPES and path.is_file() and path.parent == STATIC:
                    return self._send(200, path.read_bytes(), _CONTENT_TYPES[path.suffix], cache)
            return self._not_found(f"nothing at {url.path}")

        def do_POST(self):
            url = urllib.parse.urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            if length > MAX_BODY:
                return self._json({"error": "request too large"}, HTTPStatus.REQUEST_ENTITY_TOO_LARGE)
            try:
                body = json.loads(self.rfile.read(length) or b"{}")
                if url.path == "/api/preview/query":
                    return self._json(server.query(body))
                if url.path == "/api/preview/variable":
                    return self._json(server.variable_values(body))
            except (ValueError, KeyError, TypeError) as exc:
                return self._json({"error": f"bad request: {exc}"}, 400)
            return self._json({"error": f"nothing at {url.path}"}, 404)

    return Handler
