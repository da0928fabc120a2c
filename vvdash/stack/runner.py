"""Start, watch and stop the local stack.

`up` renders the stack inventory and its configs into the working folder, starts every part as
its own process group on 127.0.0.1, waits for each to be healthy and writes the pid file
(stack.json), so `down` from another shell stops the same processes. A failure or an interrupt
while starting stops whatever had started. The pid file keeps each process's start time with its
pid: a pid left from before a reboot may belong to another process, which is then left alone.

Ports picked as free are free when picked, not when each part binds one: another process may take
one in between. A part that then cannot bind its port (its log says "address already in use",
or the port is taken before it starts) stops the attempt, and `up` starts again on other free
ports, PORT_ATTEMPTS times at most. Ports from the inventory (`--inventory-ports`) are not retried.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import requests

from vvdash import project_folder
from vvdash.emit import alertmanager as am_emit
from vvdash.errors import VVError
from vvdash.generations import DEFAULT as DEFAULT_GENERATION
from vvdash.generations import GENERATIONS, Generation, generation
from vvdash.inventory import Inventory, load
from vvdash.jobs import PIPELINE_SERVICES
from vvdash.procs import ADDRESS_IN_USE, PORT_ATTEMPTS, Process, port_in_use, wait_http
from vvdash.project import load_project
from vvdash.stack import links
from vvdash.stack import profile as stack_profile

WORKDIR = ".stack"          # the default working folder, in the project folder
PID_FILE = "stack.json"
NOTIFICATIONS_FILE = "notifications.jsonl"
CRON_JOBS: tuple[tuple[str, ...], ...] = (("cleanup_old_files",), ("log_exporter",))
# What one run leaves and the next must not see: Prometheus' TSDB and Alertmanager's state (its
# notification log and silences) start empty; the last run's logs and notifications move aside.
RUN_STATE = ("data/prometheus", "data/alertmanager")
PREVIOUS_RUN = "previous-run"
BINARIES = ("prometheus", "prometheus-alertmanager", "prometheus-pushgateway", "prometheus-node-exporter",
            "prometheus-blackbox-exporter")


class PortLost(VVError):
    """A port picked as free was taken by another process before the part bound it."""


@dataclass
class Part:
    """One process of the stack: how to start it and how to tell it is healthy."""

    name: str
    argv: list[str]
    health: str                  # URL answering 200 when ready
    port_of: tuple[str, ...] = ()  # inventory services whose ports it listens on
    timeout: float = 30.0


def workdir(given: str | Path | None = None) -> Path:
    """The stack's working folder: `--workdir` as given, else .stack/ in the project."""
    return project_folder.working_folder(given, WORKDIR)


@dataclass
class Stack:
    workdir: Path
    inventory: Inventory | None = None
    base_name: str = ""
    procs: dict[str, Process] = field(default_factory=dict)
    generation: Generation = field(default_factory=lambda: GENERATIONS[DEFAULT_GENERATION])

    @property
    def pid_file(self) -> Path:
        return self.workdir / PID_FILE

    @property
    def notifications(self) -> Path:
        return self.workdir / NOTIFICATIONS_FILE

    @property
    def inv(self) -> Inventory:
        """The stack's inventory, once rendered or loaded."""
        if self.inventory is None:
            raise VVError(f"{self.workdir}: no stack inventory yet (render or load the stack first)")
        return self.inventory

    def url(self, service: str, path: str = "") -> str:
        return self.inv.service_url(service, path)

    # -- rendering --------------------------------------------------------------
    def render(self, base_inventory: str | Path | None, profile: str, fixed_ports: bool) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        base = load(base_inventory)
        self.base_name = base.name
        ports = stack_profile.pick_ports(base, fixed_ports)
        self.inventory = stack_profile.write(base, self.workdir, ports, profile)
        project = load_project(self.inv.path)
        from vvdash.build import render as render_all  # the same emitters as `vvdash build`

        out = self.workdir / "generated"
        files = render_all(project)
        if profile in stack_profile.QUICK_GROUP_PROFILES:
            files = stack_profile.quick_groups(files, self.inventory["prometheus"]["evaluation_interval"])
        for rel, content in files.items():
            path = out / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(content)
        am_emit.write_runtime(self.inventory, self.workdir / "alertmanager")

    def parts(self) -> list[Part]:
        inv, w = self.inv, self.workdir
        gen = w / "generated"
        addr = lambda s: f"127.0.0.1:{inv.service(s)['port']}"  # noqa: E731
        py = sys.executable
        stack_inv = str(inv.path)
        return [
            Part("webhook_receiver", [py, "-m", "vvdash.stack.webhook", "--port",
                                      str(inv.service("webhook_receiver")["port"]), "--out", str(self.notifications)],
                 self.url("webhook_receiver", "/healthz"), ("webhook_receiver",)),
            Part("pushgateway", [self.generation.require("prometheus-pushgateway"), f"--web.listen-address={addr('pushgateway')}"],
                 self.url("pushgateway", "/-/ready"), ("pushgateway",)),
            # Debian's node_exporter enables the systemd collector, which fails every scrape
            # where no systemd runs (containers, CI).
            Part("node_exporter", [self.generation.require("prometheus-node-exporter"),
                                   f"--web.listen-address={addr('node_exporter')}", *self._systemd_flag()],
                 self.url("node_exporter", "/metrics"), ("node_exporter",)),
            Part("blackbox_exporter", [self.generation.require("prometheus-blackbox-exporter"),
                                       f"--config.file={gen / 'blackbox/blackbox.yml'}",
                                       f"--web.listen-address={addr('blackbox_exporter')}"],
                 self.url("blackbox_exporter", "/-/healthy"), ("blackbox_exporter",)),
            Part("alertmanager", [self.generation.require("prometheus-alertmanager"),
                                  f"--config.file={w / 'alertmanager/alertmanager.yml'}",
                                  f"--storage.path={w / 'data/alertmanager'}",
                                  f"--web.listen-address={addr('alertmanager')}",
                                  "--cluster.listen-address="],   # no gossip port: one instance
                 self.url("alertmanager", "/-/ready"), ("alertmanager",)),
            Part("dvr_simulator", [py, "-m", "pipeline.dvr_simulator", "--inventory", stack_inv],
                 self.url("dvr_simulator", "/healthz"), ("dvr_simulator",)),
            Part("pipeline", [py, "-m", "vvdash", "--inventory", stack_inv, "pipeline", "run",
                              "--log-dir", str(w / "logs/pipeline")],
                 self.url("self_monitor", "/metrics"),
                 PIPELINE_SERVICES, timeout=120.0),
            Part("prometheus", [self.generation.require("prometheus"),
                                f"--config.file={gen / 'prometheus/prometheus.yml'}",
                                f"--storage.tsdb.path={w / 'data/prometheus'}",
                                f"--web.listen-address={addr('prometheus')}",
                                # Resend firing alerts every evaluation (default 1m), so a stopped
                                # Alertmanager shows in the notification errors at once.
                                f"--rules.alert.resend-delay={inv['prometheus']['evaluation_interval']}",
                                "--web.enable-lifecycle"],
                 self.url("prometheus", "/-/ready"), ("prometheus",)),
            # The dashboards, drawn from this Prometheus, where links.grafana_url points.
            Part("preview", [py, "-m", "vvdash", "preview", "--prometheus", self.url("prometheus"),
                             "--port", str(inv.service("grafana")["port"]), "--dashboards", str(gen / "dashboards")],
                 self.url("grafana", "/api/health"), ("grafana",)),
            # Last: what alert links open (RUNBOOK.md, dashboards); nothing waits on it.
            Part("linkserver", [py, "-m", "vvdash.linkserver", "--port", str(inv.service("runbook_server")["port"]),
                                "--runbook", str(gen / "RUNBOOK.md"), "--dashboards", str(gen / "dashboards")],
                 self.url("runbook_server", "/healthz"), ("runbook_server",)),
        ]

    # -- lifecycle --------------------------------------------------------------
    def running_pids(self) -> dict[str, int]:
        """The pid file's processes still running: same pid and same start time as recorded."""
        try:
            state = json.loads(self.pid_file.read_text())
        except (FileNotFoundError, json.JSONDecodeError):
            return {}
        return {name: rec["pid"] for name, rec in state.get("processes", {}).items()
                if isinstance(rec, dict) and pid_alive(rec.get("pid", 0))
                and start_time(rec["pid"]) == rec.get("start_time")}

    def up(self, base_inventory=None, profile: str = "demo", fixed_ports: bool = False,
           progress=print, generation_number: int | None = None) -> None:
        if generation_number is not None:
            self.generation = generation(generation_number)
        if self.running_pids():
            raise VVError(f"{self.workdir}: a stack is already running there; run `vvdash stack down` first")
        for binary in BINARIES:
            self.generation.require(binary)
        self.start_clean()
        attempts = 1 if fixed_ports else PORT_ATTEMPTS
        for attempt in range(1, attempts + 1):
            self.render(base_inventory, profile, fixed_ports)
            try:
                self._start_all(fixed_ports, progress)
                return
            except PortLost as lost:
                if attempt == attempts:
                    raise VVError(f"{lost}, in each of {attempts} attempts on other free ports") from None
                progress(f"  {lost}: starting again on other free ports (attempt {attempt + 1} of {attempts})")
                self._discard_attempt()

    def _discard_attempt(self) -> None:
        """What a failed attempt left that the next must not see; its logs stay (appended to)."""
        for rel in RUN_STATE:
            shutil.rmtree(self.workdir / rel, ignore_errors=True)
        (self.workdir / NOTIFICATIONS_FILE).unlink(missing_ok=True)

    def _start_all(self, fixed_ports: bool, progress) -> None:
        parts = self.parts()
        for part in parts:
            for service in part.port_of:
                port = self.inv.service(service)["port"]
                if not port_in_use(port):
                    continue
                if not fixed_ports:
                    raise PortLost(f"port {port} for {service}, picked as free, was taken before {part.name} started")
                raise VVError(f"port {port} for {service} is already in use ({self.base_name}: "
                              f"services.{service}.port); free it or drop --inventory-ports")
        try:
            for part in parts:
                self._start(part, progress)
                if part.name == "pipeline":
                    self._wait_pipeline(part)
                    self._run_cron_jobs(progress)
            self._wait_first_scrapes()
        except BaseException:      # an error, Ctrl-C or SIGTERM (see raise_on_stop_signals)
            self.stop(progress=lambda *_: None)
            raise

    def start_clean(self) -> None:
        """A run starts with an empty TSDB and Alertmanager state, so the series, alerts and
        notification log of an earlier run (other ports, other instances) never show up in it.
        The earlier run's logs and notifications are kept in previous-run/ until the next run."""
        previous = self.workdir / PREVIOUS_RUN
        shutil.rmtree(previous, ignore_errors=True)
        for rel in ("logs", NOTIFICATIONS_FILE):
            if (self.workdir / rel).exists():
                previous.mkdir(parents=True, exist_ok=True)
                os.replace(self.workdir / rel, previous / rel)
        for rel in RUN_STATE:
            shutil.rmtree(self.workdir / rel, ignore_errors=True)

    def _systemd_flag(self) -> list[str]:
        return [] if Path("/run/systemd/private").exists() else ["--no-collector.systemd"]

    def tools(self) -> list[str]:
        """Which binary of which version each Prometheus part runs, and from where."""
        return [f"{b} {self.generation.version(b)} ({self.generation.require(b)})" for b in BINARIES]

    def _wait_first_scrapes(self) -> None:
        """Give Prometheus a few scrape intervals to try every target, so `status` right after
        `up` shows up/down rather than unknown (not fatal: status tells what is down)."""
        from vvdash.inventory import duration_seconds

        deadline = time.monotonic() + 3 * duration_seconds(self.inv["prometheus"]["scrape_interval"]) + 5
        while time.monotonic() < deadline:
            try:
                if all(t["health"] != "unknown" for t in targets(self.url("prometheus"))):
                    return
            except requests.RequestException:
                pass
            time.sleep(0.5)

    def start_part(self, name: str, progress=print) -> None:
        """(Re)start one part by name, e.g. the DVR simulator after it was stopped."""
        part = next((p for p in self.parts() if p.name == name), None)
        if part is None:
            raise VVError(f"no stack part named {name!r} (known: {', '.join(p.name for p in self.parts())})")
        if name in self.procs:
            self.procs[name].stop()
        self._start(part, progress)

    def _start(self, part: Part, progress) -> None:
        log = self.workdir / "logs" / f"{part.name}.log"
        proc = Process(part.name, part.argv, log, env=self._project_env(), cwd=self.workdir).start()
        self.procs[part.name] = proc
        self._write_pid_file()
        try:
            wait_http(part.health, timeout=part.timeout, proc=proc.popen)
        except VVError:
            self._raise_if_port_lost(part)
            last = (proc.tail(1) or "no output").strip()
            raise VVError(f"{part.name}: did not become healthy at {part.health} ({last}); log: {log}") from None
        progress(f"  {part.name:18} up  (pid {proc.pid})")

    def _wait_pipeline(self, part: Part) -> None:
        deadline = time.monotonic() + part.timeout
        try:
            for service in part.port_of:
                wait_http(self.url(service, "/healthz"), timeout=max(1.0, deadline - time.monotonic()),
                          proc=self.procs["pipeline"].popen)
        except VVError:
            self._raise_if_port_lost(part)
            raise

    def _raise_if_port_lost(self, part: Part) -> None:
        """PortLost when the part's log, or a log of the services it runs (logs/<part>/), says a port was taken."""
        logs = self.workdir / "logs"
        for path in [logs / f"{part.name}.log", *sorted((logs / part.name).glob("*.log"))]:
            try:
                text = path.read_text(errors="replace").lower()
            except OSError:
                continue
            if ADDRESS_IN_USE in text:
                raise PortLost(f"{part.name}: a port picked as free was taken before it could bind it "
                               f"({path.relative_to(self.workdir)})")

    @staticmethod
    def _project_env() -> dict[str, str]:
        """The stack's processes work on this project: from the working folder, which holds the
        stack's own vvdash.yaml, they would find that one instead."""
        return {project_folder.ENV: str(project_folder.root())}

    def _run_cron_jobs(self, progress) -> None:
        """Each cron-style job once, so its pushed metrics are in the Pushgateway from the start."""
        for name, *flags in CRON_JOBS:
            argv = [sys.executable, "-m", "vvdash", "--inventory", str(self.inv.path), "pipeline", "cron",
                    name, *flags]
            done = subprocess.run(argv, cwd=self.workdir, env={**os.environ, **self._project_env()},
                                  capture_output=True, text=True, timeout=120)
            (self.workdir / "logs" / f"cron_{name}.log").write_text(done.stdout + done.stderr)
            if done.returncode != 0:
                tail = (done.stderr.strip().splitlines() or ["no output"])[-1]
                raise VVError(f"cron job {name} failed (exit {done.returncode}): {tail}")
            progress(f"  {'cron ' + name:18} ran once (pushed to the Pushgateway)")

    def _write_pid_file(self) -> None:
        state = {"inventory": str(self.inv.path), "generation": self.generation.number,
                 "processes": {name: {"pid": p.pid, "start_time": start_time(p.pid) if p.pid is not None else None}
                               for name, p in self.procs.items()}}
        tmp = self.pid_file.with_suffix(".tmp")
        tmp.write_text(json.dumps(state, indent=2) + "\n")  # start order: `down` stops in reverse
        os.replace(tmp, self.pid_file)

    def stop(self, progress=print, timeout: float = 15.0) -> list[str]:
        """Stop every part (ours or from the pid file), then anything still running from the folder."""
        stopped = []
        if self.procs:
            for name in reversed(list(self.procs)):
                self.procs[name].stop(timeout)
                stopped.append(name)
        else:
            pids = self.running_pids()
            for name in reversed(list(pids)):
                stop_group(pids[name], timeout)
                stopped.append(name)
        for pid in leftovers(self.workdir / stack_profile.INVENTORY_FILE):
            stop_group(pid, timeout, group=False)
            stopped.append(f"leftover pid {pid}")
        if self.pid_file.exists():
            self.pid_file.unlink()
        for name in stopped:
            progress(f"  stopped {name}")
        self.procs.clear()
        return stopped

    def load_running(self) -> None:
        """Attach to a stack started elsewhere (its inventory from the pid file)."""
        try:
            state = json.loads(self.pid_file.read_text())
        except (FileNotFoundError, json.JSONDecodeError):
            raise VVError(f"{self.workdir}: no stack running (no {PID_FILE}); start one with `vvdash stack up`") from None
        self.inventory = load(state["inventory"])
        self.generation = generation(state.get("generation", DEFAULT_GENERATION))

    def urls(self) -> dict[str, str]:
        """Where to look: only pages that answer on the binaries running (see links.py)."""
        return {
            **links.pages(self.url),
            "DVR simulator": self.url("dvr_simulator", self.inv.sites[0]["dvrs"][0]["path"]),
            "Notifications file": str(self.notifications),
            "Logs": str(self.workdir / "logs"),
        }


def _stat_fields(pid: int) -> list[str]:
    """/proc/PID/stat after the command name: [0] is field 3 (state), [19] field 22 (start time)."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return []


def pid_alive(pid: int) -> bool:
    fields = _stat_fields(pid)
    return bool(fields) and fields[0] != "Z"


def start_time(pid: int) -> int | None:
    """When the process started, in clock ticks since boot: with the pid, it names one process."""
    fields = _stat_fields(pid)
    return int(fields[19]) if len(fields) > 19 else None


def stop_group(pid: int, timeout: float, group: bool = True) -> None:
    """SIGTERM the process group (or the process), SIGKILL if it is still there after `timeout`."""
    kill = os.killpg if group else os.kill
    for sig, wait in ((signal.SIGTERM, timeout), (signal.SIGKILL, 5.0)):
        try:
            kill(pid, sig)
        except (ProcessLookupError, PermissionError):
            return
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            if not pid_alive(pid) and not (group and _group_alive(pid)):
                return
            time.sleep(0.1)


def _group_alive(pgid: int) -> bool:
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except (OSError, IndexError):
                continue
            if fields[0] != "Z" and int(fields[2]) == pgid:
                return True
    return False


def leftovers(inventory_path: Path) -> list[int]:
    """Processes started with the stack's inventory as an argument (e.g. pipeline services whose
    supervisor was killed), never this process or its parents."""
    needle = str(inventory_path).encode()
    mine = {os.getpid(), os.getppid()}
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) in mine:
            continue
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if needle in argv and pid_alive(int(entry.name)):
            found.append(int(entry.name))
    return sorted(found)


def targets(prometheus_url: str) -> list[dict]:
    r = requests.get(f"{prometheus_url}/api/v1/targets", params={"state": "active"}, timeout=5)
    r.raise_for_status()
    return r.json()["data"]["activeTargets"]


def firing_alerts(prometheus_url: str) -> list[dict]:
    r = requests.get(f"{prometheus_url}/api/v1/alerts", timeout=5)
    r.raise_for_status()
    return [a for a in r.json()["data"]["alerts"] if a["state"] == "firing"]
