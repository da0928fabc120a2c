"""self_monitor: probe every pipeline service on a period and restart the ones that fail.

Each period, for each service: is the process (or container) alive, and does its
/healthz answer 200? A dead service is restarted at once; a live but unhealthy one
after UNHEALTHY_PROBES failed probes in a row, and not within START_GRACE_SECONDS of
its last start (a service that is still booting is not killed for being slow).

Restart budget (inventory `pipeline.self_monitor`): at most `restart_budget`
restarts per service within `budget_window_seconds`. A service that needs more is
left down, logged once and reported by vv_self_monitor_service_given_up; it is
still probed, and when it comes back healthy (an operator fixed it) the flag clears.

Restarts go through a Restarter (pipeline.supervisor): in-process next to the
Supervisor of `vvdash pipeline run` (see `attach`), or, run standalone with
`python -m pipeline.self_monitor`, through `docker restart`.
"""

from __future__ import annotations

import argparse
import logging
import threading
import time
from pathlib import Path
from collections import deque
from dataclasses import dataclass, field

import requests
from prometheus_client import CollectorRegistry, ProcessCollector, disable_created_metrics

from pipeline import _common
from pipeline.restarters import DockerRestarter, SupervisorRestarter
from pipeline.service import ServiceHTTP, setup_logging
from pipeline.supervisor import Restarter, Supervisor
from vvdash import inventory
from vvdash.catalog.instrument import instruments
from vvdash.errors import VVError
from vvdash.jobs import PIPELINE_SERVICES

COMPONENT = "self_monitor"
UNHEALTHY_PROBES = 2
START_GRACE_SECONDS = 30.0
PROBE_TIMEOUT_SECONDS = 2.0

log = logging.getLogger(COMPONENT)


@dataclass
class Watched:
    name: str
    health_url: str = ""          # "" = process alive is enough
    restarts: deque = field(default_factory=deque)
    failures: int = 0
    started_at: float = 0.0
    given_up: bool = False


class SelfMonitor:
    def __init__(self, restarter: Restarter, services: list[Watched], period: float, budget: int,
                 window: float, registry: CollectorRegistry, start_grace: float = START_GRACE_SECONDS,
                 probe_timeout: float = PROBE_TIMEOUT_SECONDS):
        self.restarter = restarter
        self.services = services
        self.period = period
        self.budget = budget
        self.window = window
        self.start_grace = start_grace
        self.probe_timeout = probe_timeout
        self.m = instruments(COMPONENT, registry)
        self.last_cycle: float | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        now = time.monotonic()
        for svc in services:
            svc.started_at = now
            # Every service has its series from the start: a zero is an answer, a gap is not.
            self.m["vv_self_monitor_container_restarts_triggered_total"].labels(svc.name)
            self.m["vv_self_monitor_unhealthy_services_detected_total"].labels(svc.name)
            self.m["vv_self_monitor_service_up"].labels(svc.name).set(0)
            self.m["vv_self_monitor_service_given_up"].labels(svc.name).set(0)

    # -- one probe ------------------------------------------------------------
    def _healthy(self, svc: Watched) -> tuple[bool, bool, str]:
        """(alive, healthy, reason)."""
        try:
            alive = self.restarter.alive(svc.name)
        except Exception as exc:
            return False, False, f"liveness check failed: {exc}"
        if not alive:
            return False, False, "not running"
        if not svc.health_url:
            return True, True, "running"
        try:
            r = requests.get(svc.health_url, timeout=self.probe_timeout)
        except requests.RequestException as exc:
            return True, False, f"/healthz unreachable ({type(exc).__name__})"
        if r.status_code != 200:
            return True, False, f"/healthz answered {r.status_code}"
        return True, True, "healthy"

    def probe(self, svc: Watched) -> None:
        alive, healthy, reason = self._healthy(svc)
        up = self.m["vv_self_monitor_service_up"].labels(svc.name)
        given_up = self.m["vv_self_monitor_service_given_up"].labels(svc.name)
        if healthy:
            up.set(1)
            svc.failures = 0
            if svc.given_up:
                log.info("%s is healthy again; watching it again", svc.name)
                svc.given_up = False
                given_up.set(0)
            return
        up.set(0)
        self.m["vv_self_monitor_unhealthy_services_detected_total"].labels(svc.name).inc()
        now = time.monotonic()
        if alive:
            svc.failures += 1
            if svc.failures < UNHEALTHY_PROBES or now - svc.started_at < self.start_grace:
                log.info("%s unhealthy (%s); probing again", svc.name, reason)
                return
        if svc.given_up:
            return
        while svc.restarts and now - svc.restarts[0] > self.window:
            svc.restarts.popleft()
        if len(svc.restarts) >= self.budget:
            svc.given_up = True
            given_up.set(1)
            log.error("%s: %s; restart budget spent (%d restarts in %.0fs); leaving it down",
                      svc.name, reason, len(svc.restarts), self.window)
            return
        log.warning("%s: %s; restarting (%d of %d in the window)", svc.name, reason,
                    len(svc.restarts) + 1, self.budget)
        svc.restarts.append(now)
        svc.failures = 0
        self.m["vv_self_monitor_container_restarts_triggered_total"].labels(svc.name).inc()
        try:
            self.restarter.restart(svc.name)
        except Exception as exc:
            log.error("%s: restart failed: %s", svc.name, str(exc).splitlines()[0] if str(exc) else exc)
        svc.started_at = time.monotonic()

    def probe_all(self) -> None:
        for svc in self.services:
            self.probe(svc)
        self.last_cycle = time.monotonic()

    # -- the loop -------------------------------------------------------------
    def _loop(self) -> None:
        while True:  # probe at once, so service_up is an answer from the first scrape on
            try:
                self.probe_all()
            except Exception:  # the watcher must outlive any one bad probe
                log.exception("probe cycle failed")
            if self._stop.wait(self.period):
                return

    def start(self) -> SelfMonitor:
        self.last_cycle = time.monotonic()
        self._thread = threading.Thread(target=self._loop, name="self-monitor", daemon=True)
        self._thread.start()
        log.info("watching %s every %.1fs (budget %d restarts / %.0fs)",
                 ", ".join(s.name for s in self.services), self.period, self.budget, self.window)
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(timeout=self.period + 10)

    def health(self) -> tuple[bool, str]:
        if self._thread is None or not self._thread.is_alive():
            return False, "probe loop not running"
        age = time.monotonic() - (self.last_cycle or 0)
        if age > 3 * self.period + 10:
            return False, f"last probe cycle {age:.0f}s ago"
        return True, "ok"


class Running:
    """A started self_monitor and its HTTP face; `stop()` ends both."""

    def __init__(self, monitor: SelfMonitor, http: ServiceHTTP):
        self.monitor = monitor
        self.http = http

    def stop(self) -> None:
        self.monitor.stop()
        self.http.stop()


def _settings(inv: inventory.Inventory) -> dict:
    return inv["pipeline"]["self_monitor"]


def serve(monitor: SelfMonitor, registry: CollectorRegistry, inv: inventory.Inventory,
          port: int | None = None) -> Running:
    svc = inv.service(COMPONENT)
    http = ServiceHTTP(COMPONENT, svc["address"], svc["port"] if port is None else port, registry,
                       health=monitor.health).start()
    monitor.start()
    return Running(monitor, http)


def attach(supervisor: Supervisor, inv: inventory.Inventory, port: int | None = None,
           period: float | None = None) -> Running:
    """Watch every service of `supervisor` in-process and serve /metrics on the self_monitor port.

    The hook `vvdash pipeline run` calls after starting its services.
    """
    disable_created_metrics()
    cfg = _settings(inv)
    registry = CollectorRegistry()
    ProcessCollector(registry=registry)
    watched = [Watched(spec.name, spec.health_url) for spec in supervisor.specs.values()]
    monitor = SelfMonitor(SupervisorRestarter(supervisor), watched, period or cfg["period_seconds"],
                          cfg["restart_budget"], cfg["budget_window_seconds"], registry)
    running = serve(monitor, registry, inv, port)
    # Stopping the services must stop the watcher first, or it would restart them on the way out.
    stop_services = supervisor.stop_all

    def stop_all() -> None:
        running.stop()
        stop_services()
    supervisor.stop_all = stop_all
    return running


def main(argv: list[str] | None = None) -> int:
    """Standalone, for a container deployment: probe each service's /healthz, restart with docker."""
    p = argparse.ArgumentParser(prog="python -m pipeline.self_monitor")
    p.add_argument("--inventory", metavar="FILE", help="inventory file (default: the project's vvdash.yaml)")
    p.add_argument("--port", type=int, help="listen on this port, not the inventory's; 0: any free one")
    p.add_argument("--ready-file", type=Path, help="once listening, write the port bound to this file")
    p.add_argument("--container", action="append", default=[], metavar="SERVICE=CONTAINER",
                   help="container name of a service when it is not the service name (repeatable)")
    args = p.parse_args(argv)
    setup_logging(COMPONENT)
    disable_created_metrics()
    try:
        inv = inventory.load(args.inventory)
        containers = {}
        for item in args.container:
            service, sep, container = item.partition("=")
            if not sep or service not in PIPELINE_SERVICES or not container:
                raise VVError(f"--container {item!r}: expected SERVICE=CONTAINER with a pipeline service name")
            containers[service] = container
    except VVError as exc:
        log.error("%s", exc)
        return 2
    cfg = _settings(inv)
    watched = [Watched(name, inv.service_url(name, "/healthz")) for name in PIPELINE_SERVICES
               if name != COMPONENT]
    registry = CollectorRegistry()
    ProcessCollector(registry=registry)
    monitor = SelfMonitor(DockerRestarter(containers), watched, cfg["period_seconds"], cfg["restart_budget"],
                          cfg["budget_window_seconds"], registry)
    http = _common.http_face(COMPONENT, inv, args, registry, health=monitor.health)
    monitor.start()
    return _common.serve_until_stopped(http, on_stop=monitor.stop)


if __name__ == "__main__":
    raise SystemExit(main())
