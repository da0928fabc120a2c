"""`vvdash fleet up|down|status`: the fleet on this machine, every process on 127.0.0.1.

The store as it runs in production, in several processes: three Thanos receivers in one
hashring with replication factor 3 (a write succeeds on 2 of 3, so one receiver may die),
a querier deduplicating their replicas, and a ruler evaluating generated/fleet/ruler's rules
through the querier and sending to the central Alertmanager, a cluster of two. N simulated
sites, each its own Prometheus (server or, every third site, agent) scraping a simulated
site exporter (vvdash/fleet_stack/sim_exporter.py) and itself (the heartbeat), configured by the
same code as generated/fleet/sites/ and remote-writing into the receivers.
"""

from __future__ import annotations

import copy
import json
import os
import shutil
import signal
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import requests
import yaml

from vvdash import project_folder
from vvdash.emit import alertmanager as am_emit
from vvdash.emit.rules import rule_file_dict
from vvdash.emit.serialize import GENERATED_HEADER, dump_yaml
from vvdash.errors import VVError
from vvdash.fleet import central, site_config
from vvdash.fleet.site_rules import site_rule_files
from vvdash.generations import GENERATIONS
from vvdash.inventory import fleet as fleet_inv
from vvdash.inventory import Inventory, duration_seconds, load
from vvdash.scenarios.model import duration
from vvdash.jobs import JOB
from vvdash.procs import Process, free_port, wait_http, wait_until  # noqa: F401  (checks and tests import it from here)
from vvdash.stack import profile

# Inside the project folder (relative paths are taken from it).
DEFAULT_WORKDIR = ".fleet"     # in the project folder
THANOS_BIN = Path(".tools") / "thanos" / "thanos"
THANOS_ENV = "VVDASH_THANOS"
RECEIVERS = 3
REPLICA_LABEL = "replica"
TENANT = "vv-fleet"
STATE = "fleet.json"
# Short intervals, so a silent site and a local alert show within seconds: a site is silent
# after SILENT_AFTER scrape intervals without a sample, for SILENT_FOR more.
INTERVAL = "2s"
SILENT_AFTER, SILENT_FOR = 6, 3


def thanos_binary() -> str | None:
    """The thanos binary: $VVDASH_THANOS, .tools/thanos/thanos (make fleet-tools), or PATH."""
    for candidate in (os.environ.get(THANOS_ENV), str(project_folder.root() / THANOS_BIN), shutil.which("thanos")):
        if candidate and os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return candidate
    return None


def require_thanos() -> str:
    path = thanos_binary()
    if not path:
        raise VVError(f"thanos: binary not found (${THANOS_ENV}, {THANOS_BIN}, PATH); "
                      "run `make fleet-tools` to build it from its Go module")
    return path


def site_names(n: int) -> list[str]:
    return [f"site-{i + 1:02d}" for i in range(n)]


def site_mode(index: int, per_prometheus: int = 1) -> str:
    """Every third site an agent; every site one when Prometheus servers hold several (a benchmark)."""
    return "agent" if per_prometheus > 1 or index % 3 == 2 else "server"


def groups(names: list[str], per_prometheus: int) -> dict[str, list[str]]:
    """Sites by the Prometheus that scrapes them (one each, unless a benchmark packs several)."""
    return {names[i]: names[i:i + per_prometheus] for i in range(0, len(names), per_prometheus)}


@dataclass
class Ports:
    receive_grpc: list[int] = field(default_factory=list)
    receive_http: list[int] = field(default_factory=list)
    receive_write: list[int] = field(default_factory=list)
    receive_capnp: list[int] = field(default_factory=list)
    query_http: int = 0
    query_grpc: int = 0
    rule_http: int = 0
    rule_grpc: int = 0
    am_http: list[int] = field(default_factory=list)
    am_cluster: list[int] = field(default_factory=list)
    sites: dict[str, int] = field(default_factory=dict)        # site -> its Prometheus
    exporters: dict[str, int] = field(default_factory=dict)    # site -> its simulated exporter
    wan: dict[str, int] = field(default_factory=dict)          # site -> its WAN link to the store

    @classmethod
    def pick(cls, names: list[str], per_prometheus: int = 1) -> Ports:
        p = cls()
        p.receive_grpc, p.receive_http, p.receive_write, p.receive_capnp = (
            [free_port() for _ in range(RECEIVERS)] for _ in range(4))
        p.query_http, p.query_grpc, p.rule_http, p.rule_grpc = (free_port() for _ in range(4))
        p.am_http, p.am_cluster = [free_port(), free_port()], [free_port(), free_port()]
        for leader, members in groups(names, per_prometheus).items():
            port = free_port()
            p.sites.update({m: port for m in members})
            p.wan[leader] = free_port()
        p.exporters = {n: free_port() for n in names}
        return p


def render_inventory(base, workdir: Path, names: list[str], ports: Ports, interval: str = INTERVAL,
                     per_prometheus: int = 1) -> dict:
    """The fleet's own inventory: the base one with the stack's test profile, N sites on 127.0.0.1
    and a `fleet` section pointing at the local store and Alertmanagers."""
    data = profile.render(base, workdir, profile.pick_ports(base, fixed=False), "test")
    data["prometheus"] = {"scrape_interval": interval, "evaluation_interval": interval}
    step = duration_seconds(interval)
    # Periods whose windows must hold four scrapes at the fleet's slower scrape interval.
    data["pipeline"]["tv_scheduler"]["period_seconds"] = max(8, 4 * step)
    data["pipeline"]["self_monitor"]["period_seconds"] = max(8, 4 * step)
    for area in data["thresholds"].values():       # a `for` of the test profile under a slower interval
        for key, value in area.items():
            if (key == "for" or key.endswith("_for")) and 0 < duration_seconds(value) < step:
                area[key] = duration(2 * step)
    template = data["sites"][0]
    sites = []
    for i, name in enumerate(names):
        storage = workdir / "storage" / name
        storage.mkdir(parents=True, exist_ok=True)
        sites.append({**copy.deepcopy(template), "name": name, "video_storage_root": str(storage),
                      "storage_mountpoint": "/", "hosts": [{"name": f"{name}-host", "address": "127.0.0.1"}],
                      "dvrs": [{"name": f"dvr{d + 1}", "address": "127.0.0.1", "port": free_port(), "probe": "tcp"}
                               for d in range(2)],
                      "tvs": [{"id": "tv1", "max_items": 20, "max_age_hours": 24},
                              {"id": "tv2", "max_items": 10, "max_age_hours": 6}],
                      "prometheus": site_mode(i, per_prometheus)})
    data["sites"] = sites
    data["fleet"] = {
        "store": {"write_url": f"http://127.0.0.1:{ports.receive_write[0]}/api/v1/receive",
                  "query_url": f"http://127.0.0.1:{ports.query_http}", "tenant": TENANT},
        "queue": {"min_backoff": "100ms", "max_backoff": "2s", "batch_send_deadline": "1s"},
        "alertmanagers": [f"127.0.0.1:{p}" for p in ports.am_http],
        "silent_after": duration(SILENT_AFTER * step), "silent_for": duration(SILENT_FOR * step),
    }
    return data


def sim_jobs(members: list[str], ports: Ports) -> list[dict]:
    """A simulated Prometheus's scrape jobs: each site's exporter (labels as exposed) and itself,
    once per site it serves (each site's heartbeat)."""
    job = lambda n, groups, honor: {"name": n, "groups": groups, "honor_labels": honor,  # noqa: E731
                                    "metrics_path": None, "relabel_configs": []}
    return [job("site", [{"targets": [f"127.0.0.1:{ports.exporters[m]}" for m in members], "labels": {}}], True),
            job(JOB["prometheus"], [{"targets": [f"127.0.0.1:{ports.sites[m]}"], "labels": {"site": m}}
                                    for m in members], False)]


class Fleet:
    def __init__(self, workdir: Path | None = None, generation: int = 3, interval: str = INTERVAL,
                 per_prometheus: int = 1, profile: Path | None = None):
        self.workdir = project_folder.working_folder(workdir, DEFAULT_WORKDIR)
        # A captured site's series (vvdash/fleet_stack/measured.py) for every site, or the catalog's.
        self.profile = Path(profile).resolve() if profile else None
        self.interval = interval
        self.per_prometheus = per_prometheus
        self.groups: dict[str, list[str]] = {}
        self.generation = GENERATIONS[generation]
        self.procs: dict[str, Process] = {}
        self._ports: Ports | None = None
        self._inv: Inventory | None = None

    @property
    def ports(self) -> Ports:
        if self._ports is None:
            raise VVError(f"{self.workdir}: no fleet prepared or attached here")
        return self._ports

    @ports.setter
    def ports(self, value: Ports) -> None:
        self._ports = value

    @property
    def inv(self) -> Inventory:
        if self._inv is None:
            raise VVError(f"{self.workdir}: no fleet prepared here")
        return self._inv

    @inv.setter
    def inv(self, value: Inventory) -> None:
        self._inv = value

    # -- files ----------------------------------------------------------------
    def _write(self, rel: str, content: bytes | str) -> Path:
        path = self.workdir / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content if isinstance(content, bytes) else content.encode())
        return path

    def site_config(self, name: str) -> bytes:
        site = self.inv.site(name)
        cfg = site_config.config(self.inv, self.project.catalog, site, jobs=sim_jobs(self.groups[name], self.ports))
        # Through the site's simulated WAN link, a forwarder to the receivers' balancer.
        cfg["remote_write"][0]["url"] = f"http://127.0.0.1:{self.ports.wan[name]}/api/v1/receive"
        return dump_yaml(cfg, GENERATED_HEADER, sort_keys=False)

    def prepare(self, sites: int, base_inventory=None) -> None:
        from vvdash.project import load_project  # noqa: PLC0415  (loads every definition: slow)

        if self.workdir.exists():
            shutil.rmtree(self.workdir)
        self.workdir.mkdir(parents=True)
        names = site_names(sites)
        self.groups = groups(names, self.per_prometheus)
        self.ports = Ports.pick(names, self.per_prometheus)
        data = render_inventory(load(base_inventory), self.workdir, names, self.ports, self.interval,
                                self.per_prometheus)
        path = self._write("vvdash.yaml", "# The fleet's own inventory (`vvdash fleet up`).\n"
                           + yaml.safe_dump(data, sort_keys=False))
        self.inv = load(path)
        self.project = load_project(path)
        for rel, content in central.render(self.project).items():
            self._write(rel, content)
        local = site_rule_files(self.project.rule_files)
        for name in self.groups:
            self._write(f"sites/{name}/prometheus.yml", self.site_config(name))
            if fleet_inv.mode(self.inv.site(name)) == "server":
                for rf in local:
                    self._write(f"sites/{name}/rules/{rf.module}.yml", dump_yaml(rule_file_dict(rf, self.inv)))
        self._write("alertmanager.yml", dump_yaml(am_emit.config(self.inv), sort_keys=False))
        self._write("hashring.json", json.dumps([{"hashring": "default", "endpoints": [
            f"127.0.0.1:{p}" for p in self.ports.receive_grpc]}]))
        # Every site writes to receive-0 while it is up, to the next receiver once it is not.
        store = [f"127.0.0.1:{p}" for p in self.ports.receive_write]
        self._write("exporters.json", json.dumps({"exporters": self.ports.exporters,
                                                  "wan": {n: [p, store] for n, p in self.ports.wan.items()},
                                                  "profile": str(self.profile) if self.profile else None}))

    # -- processes ------------------------------------------------------------
    def _start(self, name: str, argv: list[str], ready: str, timeout: float = 90.0) -> None:
        proc = Process(name, argv, self.workdir / "logs" / f"{name}.log").start()
        self.procs[name] = proc
        self._save()
        try:
            wait_http(ready, timeout=timeout, proc=proc.popen)
        except VVError as exc:
            raise VVError(f"fleet: {name} did not start ({exc}); log: {proc.log_path}\n{proc.tail(5)}") from None

    def receiver_argv(self, i: int, thanos: str) -> list[str]:
        p = self.ports
        return [thanos, "receive", f"--tsdb.path={self.workdir / 'data' / f'receive-{i}'}",
                f"--grpc-address=127.0.0.1:{p.receive_grpc[i]}", f"--http-address=127.0.0.1:{p.receive_http[i]}",
                f"--remote-write.address=127.0.0.1:{p.receive_write[i]}",
                f"--receive.capnproto-address=127.0.0.1:{p.receive_capnp[i]}",
                f"--receive.hashrings-file={self.workdir / 'hashring.json'}",
                f"--receive.local-endpoint=127.0.0.1:{p.receive_grpc[i]}",
                f"--receive.replication-factor={RECEIVERS}", f'--label={REPLICA_LABEL}="r{i}"',
                "--tsdb.retention=1d"]

    def up(self, sites: int = 3, base_inventory=None) -> None:
        thanos = require_thanos()
        prometheus = self.generation.require("prometheus")
        alertmanager = self.generation.require("prometheus-alertmanager")
        self.prepare(sites, base_inventory)
        p, w = self.ports, self.workdir
        try:
            for i in range(2):
                peers = [f"--cluster.peer=127.0.0.1:{c}" for j, c in enumerate(p.am_cluster) if j != i]
                self._start(f"alertmanager-{i}", [alertmanager, f"--config.file={w / 'alertmanager.yml'}",
                                                  f"--storage.path={w / 'data' / f'alertmanager-{i}'}",
                                                  f"--web.listen-address=127.0.0.1:{p.am_http[i]}",
                                                  f"--cluster.listen-address=127.0.0.1:{p.am_cluster[i]}", *peers],
                            f"http://127.0.0.1:{p.am_http[i]}/-/ready")
            for i in range(RECEIVERS):
                self._start(f"receive-{i}", self.receiver_argv(i, thanos), f"http://127.0.0.1:{p.receive_http[i]}/-/ready")
            endpoints = [f"--endpoint=127.0.0.1:{g}" for g in (*p.receive_grpc, p.rule_grpc)]
            self._start("query", [thanos, "query", f"--http-address=127.0.0.1:{p.query_http}",
                                  f"--grpc-address=127.0.0.1:{p.query_grpc}", *endpoints,
                                  f"--query.replica-label={REPLICA_LABEL}"],
                        f"http://127.0.0.1:{p.query_http}/-/ready")
            self._start("rule", [thanos, "rule", f"--data-dir={w / 'data' / 'rule'}",
                                 f"--rule-file={w / central.RULER_DIR}/*.yml",
                                 f"--query=127.0.0.1:{p.query_http}",
                                 *[f"--alertmanagers.url=http://127.0.0.1:{a}" for a in p.am_http],
                                 f"--http-address=127.0.0.1:{p.rule_http}", f"--grpc-address=127.0.0.1:{p.rule_grpc}",
                                 f"--eval-interval={self.inv['prometheus']['evaluation_interval']}",
                                 '--label=ruler_cluster="fleet"', "--alert.label-drop=ruler_cluster"],
                        f"http://127.0.0.1:{p.rule_http}/-/ready")
            self._start("exporters", [sys.executable, "-m", "vvdash.fleet_stack.sim_exporter", str(w / "exporters.json")],
                        f"http://127.0.0.1:{next(iter(p.exporters.values()))}/metrics")
            for name in self.groups:
                agent = fleet_inv.mode(self.inv.site(name)) == "agent"
                storage = (f"--storage.agent.path={w / 'data' / name}" if agent
                           else f"--storage.tsdb.path={w / 'data' / name}")
                mode = (["--agent"] if self.generation.number >= 3 else ["--enable-feature=agent"]) if agent else []
                self._start(name, [prometheus, f"--config.file={w / 'sites' / name / 'prometheus.yml'}", storage,
                                   f"--web.listen-address=127.0.0.1:{p.sites[name]}", "--web.enable-lifecycle",
                                   *mode], f"http://127.0.0.1:{p.sites[name]}/-/ready")
        except BaseException:
            self.down()
            raise

    def _save(self) -> None:
        state = {"pids": {n: pr.pid for n, pr in self.procs.items()}, "ports": self.ports.__dict__}
        (self.workdir / STATE).write_text(json.dumps(state))

    def down(self) -> None:
        for proc in reversed(list(self.procs.values())):
            proc.stop()
        self.procs.clear()
        state = self.workdir / STATE
        if state.exists():
            # Sites first (their remote write flushes while the store is still up), then the store.
            for pid in reversed(list(json.loads(state.read_text())["pids"].values())):
                _stop_group(pid)
            state.unlink()

    # -- what the tests and `status` do ---------------------------------------
    def query(self, expr: str, at: float | None = None) -> list[dict]:
        params = {"query": expr, "dedup": "true"}
        if at is not None:
            params["time"] = f"{at:.3f}"
        r = requests.get(f"http://127.0.0.1:{self.ports.query_http}/api/v1/query", params=params, timeout=30)
        r.raise_for_status()
        return r.json()["data"]["result"]

    def site_api(self, name: str, path: str, **params) -> dict:
        r = requests.get(f"http://127.0.0.1:{self.ports.sites[name]}{path}", params=params, timeout=30)
        r.raise_for_status()
        return r.json()["data"]

    def site_query(self, name: str, expr: str, at: float | None = None) -> list[dict]:
        params = {"query": expr} | ({"time": f"{at:.3f}"} if at is not None else {})
        return self.site_api(name, "/api/v1/query", **params)["result"]

    def ruler_alerts(self) -> list[dict]:
        r = requests.get(f"http://127.0.0.1:{self.ports.rule_http}/api/v1/alerts", timeout=30)
        r.raise_for_status()
        data = r.json()["data"]
        return data.get("alerts", data.get("Alerts", []))   # Thanos rule says "Alerts"

    def alertmanager_alerts(self, i: int = 0) -> list[dict]:
        r = requests.get(f"http://127.0.0.1:{self.ports.am_http[i]}/api/v2/alerts", timeout=30)
        r.raise_for_status()
        return r.json()

    def set_remote_write(self, name: str, on: bool) -> None:
        """Cut (or restore) one site's WAN link to the store: its Prometheus keeps retrying and
        buffering, and sends what it holds once the link is back."""
        r = requests.post(f"http://127.0.0.1:{self.ports.exporters[name]}/wan/{'up' if on else 'down'}", timeout=10)
        r.raise_for_status()

    def set_dvr(self, name: str, dvr: str, up: bool) -> None:
        r = requests.post(f"http://127.0.0.1:{self.ports.exporters[name]}/dvr/{dvr}/{'up' if up else 'down'}", timeout=10)
        r.raise_for_status()

    def kill(self, name: str) -> None:
        self.procs[name].kill()

    def status(self) -> dict:
        sites = {r["metric"].get("site"): r["value"][1] for r in self.query(f'group by (site) (up{{job="{JOB["prometheus"]}"}})')}
        return {"sites_in_store": sorted(s for s in sites if s)}


def _stop_group(pgid: int, timeout: float = 10.0) -> None:
    """SIGTERM a process group started by `fleet up` (from another shell), SIGKILL it after `timeout`."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(pgid, sig)
        except (ProcessLookupError, PermissionError):
            return
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                os.killpg(pgid, 0)
            except (ProcessLookupError, PermissionError):
                return
            time.sleep(0.2)


def attach(workdir: Path | None = None) -> Ports:
    state = project_folder.working_folder(workdir, DEFAULT_WORKDIR) / STATE
    if not state.exists():
        raise VVError(f"{state}: no fleet running here (start one with `vvdash fleet up`)")
    return Ports(**json.loads(state.read_text())["ports"])


