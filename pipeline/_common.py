"""What every pipeline service shares: its argument parser, inventory, registry and HTTP face."""

from __future__ import annotations

import argparse
import json
import logging
import signal
import threading
from pathlib import Path

from prometheus_client import CollectorRegistry, ProcessCollector

from pipeline.service import ServiceHTTP, json_response
from vvdash.catalog.instrument import instruments
from vvdash.errors import VVError
from vvdash.inventory import Inventory, load


def service_parser(name: str, description: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=name, description=description)
    parser.add_argument("--inventory", type=Path, help="vvdash.yaml (default: the project's)")
    parser.add_argument("--site", metavar="NAME", help="the inventory site this service runs for (default: the first)")
    parser.add_argument("--storage-root", type=Path, help="override the site's VIDEO_STORAGE_ROOT")
    parser.add_argument("--port", type=int, help="listen on this port, not the inventory's; 0: any free one")
    parser.add_argument("--ready-file", type=Path, help="once listening, write the port bound to this file")
    return parser


def http_face(component: str, inv: Inventory, args, registry, **options) -> ServiceHTTP:
    """The service's HTTP face on its inventory address and port, or on --port (0: a free one,
    reported in --ready-file once listening, so whoever started it never races for a port)."""
    svc = inv.service(component)
    port = svc["port"] if getattr(args, "port", None) is None else args.port
    return ServiceHTTP(component, svc["address"], port, registry, ready_file=getattr(args, "ready_file", None),
                       **options)


def load_inventory(args) -> Inventory:
    """The inventory, with --site checked: a bad one is one logged line and exit 2."""
    try:
        inv = load(args.inventory)
        inv.site(getattr(args, "site", None))
    except VVError as exc:
        logging.getLogger("pipeline").error("%s", exc)
        raise SystemExit(2) from None
    return inv


def site(inv: Inventory, args) -> dict:
    return inv.site(getattr(args, "site", None))


def storage_root(inv: Inventory, args) -> Path:
    return Path(args.storage_root) if getattr(args, "storage_root", None) else inv.storage_root(site(inv, args))


def registry_for(component: str, skip: tuple[str, ...] = (), process: bool = True):
    """A fresh registry holding the component's catalog instruments (and process_* series)."""
    registry = CollectorRegistry(auto_describe=True)
    if process:
        ProcessCollector(registry=registry)
    return registry, instruments(component, registry, skip=skip)


def serve_until_stopped(http, on_stop=None) -> int:
    """Block until SIGTERM/SIGINT, then stop the HTTP face (and `on_stop`)."""
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    http.start()
    stop.wait()
    if on_stop:
        on_stop()
    http.stop()
    return 0


def serve_stage(component: str, inv: Inventory, args, registry, handle) -> int:
    """A pipeline stage's HTTP face (http_face): POST /process calls `handle` (request dict ->
    answer dict), besides /metrics and /healthz; until stopped."""
    http = http_face(component, inv, args, registry, routes={("POST", "/process"): json_route(handle)})
    return serve_until_stopped(http)


def json_route(fn):
    """A ServiceHTTP handler calling fn(request dict) -> answer dict, both JSON."""
    def handler(body: bytes, _query: str):
        try:
            request = json.loads(body or b"{}")
        except json.JSONDecodeError as exc:
            return json_response(400, {"status": "failure", "reason": "bad_request", "detail": exc.msg})
        if not isinstance(request, dict):
            return json_response(400, {"status": "failure", "reason": "bad_request", "detail": "not an object"})
        return json_response(200, fn(request))
    return handler
