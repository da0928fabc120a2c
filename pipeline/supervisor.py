"""A small process supervisor: starts pipeline services as child processes and restarts them.

`vvdash pipeline run` and the local stack use it; self_monitor restarts through it
(see Restarter below), so a Docker deployment can plug in `docker restart` instead.
"""

from __future__ import annotations

import logging
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from vvdash.procs import Process

log = logging.getLogger("supervisor")


@dataclass
class ServiceSpec:
    name: str
    argv: list[str]
    health_url: str = ""              # GET answering 200 when healthy; "" = process alive is enough
    env: dict = field(default_factory=dict)


def python_module_argv(module: str, *args: str) -> list[str]:
    return [sys.executable, "-m", module, *args]


class Restarter(Protocol):
    """What self_monitor needs to bring a service back."""

    def restart(self, service: str) -> None: ...

    def alive(self, service: str) -> bool: ...


class Supervisor:
    def __init__(self, log_dir: Path):
        self.log_dir = Path(log_dir)
        self.specs: dict[str, ServiceSpec] = {}
        self.procs: dict[str, Process] = {}
        self._lock = threading.Lock()

    def add(self, spec: ServiceSpec) -> None:
        self.specs[spec.name] = spec

    def start(self, name: str) -> Process:
        spec = self.specs[name]
        with self._lock:
            proc = Process(name, spec.argv, self.log_dir / f"{name}.log", env=spec.env).start()
            self.procs[name] = proc
        log.info("started %s (pid %d, log %s)", name, proc.pid, proc.log_path)
        return proc

    def start_all(self) -> None:
        for name in self.specs:
            self.start(name)

    def alive(self, service: str) -> bool:
        proc = self.procs.get(service)
        return proc is not None and proc.alive()

    def pid(self, service: str) -> int | None:
        proc = self.procs.get(service)
        return proc.pid if proc else None

    def restart(self, service: str) -> None:
        proc = self.procs.get(service)
        if proc is not None:
            proc.stop()
        self.start(service)

    def stop(self, service: str) -> None:
        proc = self.procs.get(service)
        if proc is not None:
            proc.stop()

    def stop_all(self) -> None:
        for name in reversed(list(self.procs)):
            self.procs[name].stop()
        log.info("stopped %d services", len(self.procs))
