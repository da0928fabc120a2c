"""`vvdash preview`: the generated dashboards in a browser, drawn from a live Prometheus.

Without --prometheus it uses the local stack's (from the stack's pid file in --workdir).
With --screenshots DIR it draws every dashboard in headless Chromium, writes DIR/<uid>.png,
prints one line per dashboard and exits 1 when a panel is in error or the page logged one.
"""

from __future__ import annotations

import re
import urllib.parse
from pathlib import Path

from vvdash.build import default_out
from vvdash.errors import EXIT_FINDINGS, VVError
from vvdash.stack.runner import Stack, workdir


def register(sub):
    p = sub.add_parser("preview", help="serve the generated dashboards from live Prometheus data (or take screenshots)")
    p.add_argument("--prometheus", metavar="URL", help="Prometheus to query (default: the running local stack's)")
    p.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (default: a free one)")
    p.add_argument("--workdir", type=Path, default=None,
                   help="the local stack's working folder, for its Prometheus (default: .stack/)")
    p.add_argument("--dashboards", type=Path, default=None, metavar="DIR",
                   help="dashboard JSON files (default: generated/dashboards/)")
    p.add_argument("--screenshots", type=Path, metavar="DIR",
                   help="draw each dashboard in headless Chromium into DIR/<uid>.png and exit")
    p.add_argument("--from", dest="time_from", metavar="TIME",
                   help="screenshots over this range instead of each dashboard's own, e.g. now-1h")
    p.set_defaults(func=run)


def prometheus_url(args) -> str:
    if args.prometheus:
        parts = urllib.parse.urlsplit(args.prometheus)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise VVError("--prometheus: expected an http(s) URL")
        return args.prometheus
    stack = Stack(workdir(args.workdir))
    if not stack.running_pids():
        raise VVError(f"{stack.workdir}: no local stack running; start one with `vvdash stack up` "
                      "or pass --prometheus URL")
    stack.load_running()
    return stack.url("prometheus")


def run(args) -> int:
    from vvdash.preview.server import PreviewServer

    if not 0 <= args.port <= 65535:
        raise VVError(f"--port: expected 0-65535, got {args.port}")
    if args.time_from and not re.fullmatch(r"now-\d+[smhdwy]|\d+", args.time_from):
        raise VVError(f"--from: expected now-<number><s|m|h|d|w|y> or epoch milliseconds, got {args.time_from!r}")
    if args.screenshots:
        try:
            Path(args.screenshots).mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise VVError(f"--screenshots: {args.screenshots}: cannot make the folder ({exc.strerror})") from None
    server = PreviewServer(args.dashboards or default_out() / "dashboards", prometheus_url(args), args.port)
    if not server.prometheus.ready():
        server.stop()
        raise VVError(f"Prometheus at {server.prometheus.shown} does not answer; is it running?")
    if args.screenshots:
        from vvdash.preview import screenshots

        with server:
            shots = screenshots.take(server, args.screenshots, args.time_from)
        print(f"vvdash preview: {len(shots)} screenshots in {args.screenshots}")
        return EXIT_FINDINGS if any(s.errors or s.console_errors for s in shots) else 0
    print(f"vvdash preview: {len(server.dashboards)} dashboards from {server.dashboards_dir}, "
          f"Prometheus {server.prometheus.shown}", flush=True)
    print(f"  {server.url}/", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.httpd.server_close()
    return 0
