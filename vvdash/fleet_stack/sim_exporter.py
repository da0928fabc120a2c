"""Simulated sites for `vvdash fleet up`: one process serving, per site on its own 127.0.0.1 port,
every series a real site's Prometheus scrapes (vvdash/cost/series.py: the catalog's metrics with
the label values the pipeline uses, with their job, instance and site labels, scraped with
honor_labels). `POST /dvr/<name>/down` (or `/up`) disconnects a DVR, so the site's local
VVDvrDisconnected can be made to fire.

Each site's WAN link is simulated too: the site's remote write goes through a TCP forwarder to
the store, and `POST /wan/down` refuses and drops its connections (as a cut link does: the
site's Prometheus keeps retrying and buffering) until `POST /wan/up`. The forwarder ends at the
store's load balancer, as a TCP balancer in front of the receivers does: each connection goes to
the first receiver that accepts it, so the receiver the sites write to can die.

A site's series are the catalog's, or with "profile" (a file from measured.capture) those
the running pipeline exposed.

    python -m vvdash.fleet_stack.sim_exporter PORTS.json
    # {"exporters": {"site-01": 9400, ...},
    #  "wan": {"site-01": [9500, ["127.0.0.1:19291", "127.0.0.1:19292"]], ...}}
"""

from __future__ import annotations

import json
import socket
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from vvdash.cost.series import Shape, site_series
from vvdash.fleet_stack import measured

# Made by the scraping Prometheus itself, never exposed by a target.
SCRAPE_OWN = ("up", "scrape_duration_seconds")
DVR_STATUS = "vv_agent_dvr_connection_status"
SHAPE = Shape(dvrs=2, tvs=2, cpus=2)


def _address(target: str) -> tuple[str, int]:
    host, _, port = target.rpartition(":")
    return host, int(port)


class Link:
    """A TCP forwarder standing in for a site's WAN link to the store; `up` False cuts it.
    Connections go to the first of `targets` that accepts one (the balancer's failover)."""

    def __init__(self, port: int, targets: list[str] | str):
        self.targets = [_address(t) for t in ([targets] if isinstance(targets, str) else targets)]
        self.up = True
        self.open: set[socket.socket] = set()
        self.lock = threading.Lock()
        self.server = socket.create_server(("127.0.0.1", port))
        threading.Thread(target=self._accept, daemon=True).start()

    def set(self, up: bool) -> None:
        with self.lock:
            self.up = up
            if not up:
                for sock in self.open:
                    try:
                        sock.shutdown(socket.SHUT_RDWR)
                    except OSError:
                        pass

    def _accept(self) -> None:
        while True:
            client, _ = self.server.accept()
            with self.lock:
                if not self.up:
                    client.close()
                    continue
            upstream = self._connect()
            if upstream is None:
                client.close()
                continue
            upstream.settimeout(None)
            with self.lock:
                self.open |= {client, upstream}
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    def _connect(self) -> socket.socket | None:
        for target in self.targets:
            try:
                return socket.create_connection(target, timeout=10)
            except OSError:
                continue
        return None

    def _pipe(self, src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (src, dst):
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
            with self.lock:
                self.open -= {src, dst}


def exposed(name: str, captured: dict | None = None) -> list:
    """The series a simulated site exposes: a captured site's (vvdash/fleet_stack/measured.py),
    or the catalog's (vvdash/cost/series.py) without what the scraping Prometheus makes."""
    if captured is not None:
        return measured.series(name, captured)
    return [s for s in site_series(name, SHAPE) if s.name not in SCRAPE_OWN]


class Site:
    def __init__(self, name: str, link: Link | None = None, captured: dict | None = None):
        self.name = name
        self.link = link
        self.series = exposed(name, captured)
        self.started = time.time()
        self.down: set[str] = set()
        self.lock = threading.Lock()

    def value(self, s) -> float:
        now = time.time()
        if s.name == DVR_STATUS and s.labels.get("dvr") in self.down:
            return 0.0
        if s.kind == "counter":
            return round(s.rate * (now - self.started), 6)
        if s.kind == "timestamp":
            return float(int(now // s.rate) * s.rate)
        return s.rate

    def exposition(self) -> bytes:
        with self.lock:
            return "".join(f"{s.text}{self.value(s)}\n" for s in self.series).encode()


def handler(site: Site):
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            if self.path != "/metrics":
                self.send_error(404)
                return
            body = site.exposition()
            self.send_response(200)
            self.send_header("Content-Type", "text/plain; version=0.0.4")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_POST(self):
            parts = self.path.strip("/").split("/")
            if len(parts) == 2 and parts[0] == "wan" and parts[1] in ("up", "down") and site.link:
                site.link.set(parts[1] == "up")
                self.send_response(204)
                self.end_headers()
                return
            if len(parts) != 3 or parts[0] != "dvr" or parts[2] not in ("up", "down"):
                self.send_error(404)
                return
            with site.lock:
                (site.down.add if parts[2] == "down" else site.down.discard)(parts[1])
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args):   # quiet: Prometheus scrapes every second
            pass

    return Handler


def serve(exporters: dict[str, int], wan: dict[str, list], captured: dict | None = None) -> list[ThreadingHTTPServer]:
    servers = []
    for name, port in exporters.items():
        link = Link(*wan[name]) if name in wan else None
        server = ThreadingHTTPServer(("127.0.0.1", port), handler(Site(name, link=link, captured=captured)))
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
    return servers


def main(argv: list[str]) -> int:
    with open(argv[0], encoding="utf-8") as fh:
        ports = json.load(fh)
    serve(ports["exporters"], ports.get("wan", {}), measured.load(ports["profile"]) if ports.get("profile") else None)
    print(f"serving {len(ports['exporters'])} simulated sites", flush=True)
    threading.Event().wait()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
