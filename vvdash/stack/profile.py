"""The stack's own inventory: the project's vvdash.yaml with free ports, one site on 127.0.0.1,
local receivers and a profile of short intervals, written into the stack's working folder.

Only this rendered copy changes; vvdash.yaml is never edited. Alert `for` durations and other
thresholds are overridden here and nowhere else, so rules and configs are built exactly as
from any inventory.
"""

from __future__ import annotations

import copy
import os
import secrets
from pathlib import Path

import yaml

from vvdash.emit.serialize import GENERATED_HEADER, dump_yaml
from vvdash.inventory import Inventory, load, overlay
from vvdash.inventory.schema import SERVICE_NAMES
from vvdash.procs import free_port

# Profiles: overrides merged into the inventory. `demo` for a person watching, `test` for CI.
# Inventory key: (demo, test).
_SETTINGS: dict[str, tuple] = {
    "prometheus.scrape_interval": ("5s", "1s"),
    "prometheus.evaluation_interval": ("5s", "1s"),
    "thresholds.dvr.disconnected_for": ("30s", "5s"),
    "thresholds.platform.target_down_for": ("30s", "10s"),
    "thresholds.meta.for": ("30s", "5s"),
    "alerting.group_wait": ("5s", "1s"),
    "alerting.group_interval": ("30s", "2s"),
    "alerting.repeat_interval": ("1h", "1h"),
    "alerting.heartbeat.repeat_interval": ("30s", "2s"),
    "pipeline.segment_seconds": (5, 3),
    "pipeline.tv_scheduler.period_seconds": (10, 2),
    "pipeline.self_monitor.period_seconds": (5, 2),
    "pipeline.storage_exporter.refresh_seconds": (5, 1),
}


def _overrides(column: int) -> dict:
    out: dict = {}
    for key, values in _SETTINGS.items():
        *parents, leaf = key.split(".")
        node = out
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = values[column]
    return out


PROFILES: dict[str, dict] = {name: _overrides(i) for i, name in enumerate(("demo", "test"))}
# Components the stack does not run here (no Docker, no nginx): they stay disabled.
NOT_RUN = ("cadvisor", "nginx_exporter", "grafana", "bitnet")
HMAC_KEY_FILE = "secrets/hmac_key"
INVENTORY_FILE = "vvdash.yaml"


def mountpoint(path: Path) -> str:
    """The mount point holding `path` (what node_exporter reports for its filesystem)."""
    path = Path(os.path.realpath(path))
    while not os.path.ismount(path):
        path = path.parent
    return str(path)


def pick_ports(base: Inventory, fixed: bool) -> dict[str, int]:
    """A port per service: the inventory's own (`fixed`) or free ones on 127.0.0.1."""
    ports: dict[str, int] = {}
    for name in SERVICE_NAMES:
        if fixed:
            ports[name] = base["services"][name]["port"]
            continue
        port = free_port()
        while port in ports.values():
            port = free_port()
        ports[name] = port
    return ports


def _hmac_key(workdir: Path) -> dict:
    """A random signing key in a private file, made once per working folder."""
    path = workdir / HMAC_KEY_FILE
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_hex(32) + "\n")
    return {"file": str(path)}


# Profiles whose Prometheus evaluates the rule groups that run on an interval of their own (the
# 5-minute downsampling and fleet rollups) at the profile's evaluation interval: a test stack lives
# for a minute or two, and a 5-minute group's first evaluation may come only after that. Their
# expressions are unchanged, so a count drawn from 5-minute increases overlaps in such a stack;
# the demo keeps the real intervals (the panels say the newest 5 minutes come at the next one).
QUICK_GROUP_PROFILES = frozenset({"test"})


def quick_groups(files: dict[str, bytes], evaluation_interval: str) -> dict[str, bytes]:
    """The rendered files with every rule group's own `interval` set to `evaluation_interval`."""
    out = dict(files)
    for rel, content in files.items():
        if not (rel.startswith("prometheus/rules/") and rel.endswith(".yml")):
            continue
        doc = yaml.safe_load(content)
        groups = (doc or {}).get("groups") or []
        if any("interval" in g for g in groups):
            for group in groups:
                if "interval" in group:
                    group["interval"] = evaluation_interval
            out[rel] = dump_yaml(doc, header=GENERATED_HEADER + " Rule group intervals: the stack's test profile.")
    return out


def render(base: Inventory, workdir: Path, ports: dict[str, int], profile: str) -> dict:
    data = copy.deepcopy(dict(base))
    storage = workdir / "storage"
    storage.mkdir(parents=True, exist_ok=True)
    services: dict[str, object] = {"bind_address": "127.0.0.1"}
    for name in SERVICE_NAMES:
        svc: dict[str, object] = {"port": ports[name]}
        if name in NOT_RUN:
            svc["enabled"] = False
        services[name] = svc
    data["services"] = services

    site = data["sites"][0]
    host = site["hosts"][0]
    dvr = (site["dvrs"] or [{"name": "dvr1"}])[0]
    data["sites"] = [{
        **site,
        "video_storage_root": str(storage),
        "storage_mountpoint": mountpoint(storage),
        "hosts": [{"name": host["name"], "address": "127.0.0.1"}],
        # The simulator stands in for the site's first DVR, probed over HTTP.
        "dvrs": [{"name": dvr["name"], "address": "127.0.0.1", "port": ports["dvr_simulator"],
                  "path": dvr.get("path", "/stream.mjpg"), "probe": "http"}],
    }]
    overlay(data, PROFILES[profile])
    # Links in notifications open this stack's own servers: RUNBOOK.md from the link server, the
    # dashboards from `vvdash preview`, which answers on Grafana's port since no Grafana runs here.
    # The only inventory with loopback links is this one, read on this machine.
    data["links"] = {"grafana_url": f"http://127.0.0.1:{ports['grafana']}",
                     "runbook_url": f"http://127.0.0.1:{ports['runbook_server']}/RUNBOOK.md"}
    data["pipeline"]["hmac_key"] = _hmac_key(workdir)
    data["pipeline"]["summarizer"]["backend"] = "builtin"
    # Every receiver delivers to the local webhook receiver, on a path named after it.
    receiver = f"http://127.0.0.1:{ports['webhook_receiver']}"
    data["alerting"]["receivers"] = [{"name": r["name"], "type": "webhook", "url": f"{receiver}/{r['name']}",
                                      "send_resolved": True} for r in data["alerting"]["receivers"]]
    return data


def write(base: Inventory, workdir: Path, ports: dict[str, int], profile: str) -> Inventory:
    """Render the stack inventory into workdir/vvdash.yaml and load it back (validated)."""
    data = render(base, workdir, ports, profile)
    path = workdir / INVENTORY_FILE
    header = (f"# The local stack's inventory, rendered from {base.path} with the {profile!r} profile.\n"
              "# Rewritten by every `vvdash stack up`; edit vvdash.yaml instead.\n")
    path.write_text(header + yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return load(path)
