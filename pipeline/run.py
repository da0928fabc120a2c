"""`vvdash pipeline run`: start the pipeline services under a Supervisor until Ctrl-C.

Each service is `python -m pipeline.<name> --inventory FILE [--site NAME]` with its log in the log
folder; a service that is not healthy within the start timeout stops the run with its last log line.
Other parts hook in through `attach(supervisor, inventory)` of any module named in HOOKS
(pipeline.self_monitor restarts services through the Supervisor's Restarter protocol).
"""

from __future__ import annotations

import importlib
import importlib.util
import logging
import signal
import threading
from pathlib import Path

from pipeline.services import LONG_RUNNING
from pipeline.service import setup_logging
from pipeline.storage import Storage
from pipeline.supervisor import ServiceSpec, Supervisor, python_module_argv
from vvdash.errors import VVError
from vvdash.inventory import Inventory, load
from vvdash.procs import wait_http

# Start order: the stages before the orchestrator that calls them, the agent last.
ORDER = ("scan_video", "summarize_scene", "logline_generator", "orchestrator", "agent_dvr")
HOOKS = ("pipeline.self_monitor",)
log = logging.getLogger("pipeline")


def service_names(only: str | None = None) -> list[str]:
    available = [n for n in LONG_RUNNING if importlib.util.find_spec(LONG_RUNNING[n]) is not None]
    names = [n for n in ORDER if n in available] + [n for n in available if n not in ORDER]
    if only:
        wanted = [n.strip() for n in only.split(",") if n.strip()]
        unknown = [n for n in wanted if n not in LONG_RUNNING and n != "dvr_simulator"]
        if unknown:
            raise VVError(f"--only: unknown service {unknown[0]!r} (known: {', '.join(LONG_RUNNING)})")
        names = [n for n in (["dvr_simulator"] + names) if n in wanted]
    return names


def supervisor_for(inv: Inventory, names: list[str], storage_root: Path | None, log_dir: Path,
                   site: str | None = None) -> Supervisor:
    """The Supervisor with one spec per service (not started): the hook for whatever runs the pipeline."""
    sup = Supervisor(log_dir)
    common = ["--inventory", str(inv.path)] + (["--site", site] if site else [])
    for name in names:
        module = "pipeline.dvr_simulator" if name == "dvr_simulator" else LONG_RUNNING[name]
        extra = ["--storage-root", str(storage_root)] if storage_root and name != "dvr_simulator" else []
        health = inv.service_url(name, "/healthz") if name != "dvr_simulator" else ""
        sup.add(ServiceSpec(name, python_module_argv(module, *common, *extra), health_url=health))
    return sup


def start(sup: Supervisor, timeout: float = 30.0) -> None:
    for name, spec in sup.specs.items():
        proc = sup.start(name)
        if spec.health_url:
            try:
                wait_http(spec.health_url, timeout=timeout, proc=proc.popen)
            except VVError:
                last = (proc.tail(1) or "no output").strip()
                sup.stop_all()
                raise VVError(f"{name}: did not become healthy ({last}); log: {proc.log_path}") from None
        log.info("%s up%s", name, f" ({spec.health_url.rsplit('/', 1)[0]})" if spec.health_url else "")


def attach_hooks(sup: Supervisor, inv: Inventory) -> list[str]:
    attached = []
    for module in HOOKS:
        if importlib.util.find_spec(module) is None:
            continue
        hook = getattr(importlib.import_module(module), "attach", None)
        if hook is not None:
            hook(sup, inv)
            attached.append(module)
    return attached


def progress(storage: Storage) -> str:
    counts = {f: len(storage.entries(f)) for f in ("input", "processing", "processed")}
    return (f"input {counts['input']}, processing {counts['processing']}, processed {counts['processed']}, "
            f"corrupted {len(storage.corrupted_videos())}, loglines {len(storage.logline_files())}")


def run(args) -> int:
    setup_logging("pipeline")
    inv = load(getattr(args, "inventory", None))
    site = getattr(args, "site", None)
    storage = Storage(args.storage_root or inv.storage_root(inv.site(site))).ensure()
    log_dir = args.log_dir or (storage.root / "logs")
    names = service_names(args.only)
    if getattr(args, "with_simulator", False) and "dvr_simulator" not in names:
        names.insert(0, "dvr_simulator")
    sup = supervisor_for(inv, names, args.storage_root, log_dir, site)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    start(sup)
    hooks = attach_hooks(sup, inv)
    log.info("running %s%s; logs in %s; Ctrl-C stops", ", ".join(names),
             f" (+ {', '.join(hooks)})" if hooks else "", log_dir)
    try:
        while not stop.wait(10):
            down = [n for n in names if not sup.alive(n)]
            log.info("%s%s", progress(storage), f"; not running: {', '.join(down)}" if down else "")
    finally:
        sup.stop_all()
    return 0
