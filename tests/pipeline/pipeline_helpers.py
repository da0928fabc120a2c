"""Helpers for the pipeline tests: inventories on free ports, simulator clips, service processes."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import cv2
import requests
import yaml

from pipeline.dvr_scenes import Scene
from tests.helpers import PROJECT_ROOT
from vvdash.http_reply import wait_ready_file
from vvdash.procs import Process, free_port, wait_http

HMAC_KEY = "test-key-for-loglines"
MODULES = {"dvr_simulator": "pipeline.dvr_simulator", "agent_dvr": "pipeline.agent_dvr",
           "orchestrator": "pipeline.orchestrator", "scan_video": "pipeline.scan_video",
           "summarize_scene": "pipeline.summarize_scene", "logline_generator": "pipeline.logline_generator"}


def write_inventory(tmp_path: Path, segment_seconds: float = 2, key: bool = True, settle_seconds: float = 0.3,
                    **summarizer):
    """A copy of vvdash.yaml with free ports, a storage root in tmp_path and a key file."""
    data = yaml.safe_load((PROJECT_ROOT / "vvdash.yaml").read_text())
    root = tmp_path / "storage"
    root.mkdir()
    for name, svc in data["services"].items():
        if name != "bind_address":
            svc["port"] = free_port()
    site = data["sites"][0]
    site["video_storage_root"] = str(root)
    site["dvrs"] = [{"name": "dvr1", "address": "127.0.0.1", "port": data["services"]["dvr_simulator"]["port"],
                     "path": "/stream.mjpg", "probe": "http"}]
    data["pipeline"]["segment_seconds"] = segment_seconds
    data["pipeline"]["input_settle_seconds"] = settle_seconds
    data["pipeline"]["summarizer"].update(summarizer)
    key_file = tmp_path / "hmac.key"
    if key:
        key_file.write_text(HMAC_KEY + "\n")
    data["pipeline"]["hmac_key"] = {"file": str(key_file)}
    inv_path = tmp_path / "vvdash.yaml"
    inv_path.write_text(yaml.safe_dump(data, sort_keys=False))
    return inv_path, root, {"PYTHONPATH": str(PROJECT_ROOT)}


def port_of(inv_path: Path, name: str) -> int:
    return yaml.safe_load(inv_path.read_text())["services"][name]["port"]


class ServiceSet:
    def __init__(self, inv_path: Path, root: Path, env: dict):
        self.inv_path, self.root, self.env = inv_path, root, env
        self.procs: dict[str, Process] = {}
        self.bound: dict[str, int] = {}       # ports services bound themselves (--port 0)

    def url(self, name: str, path: str = "") -> str:
        return f"http://127.0.0.1:{port_of(self.inv_path, name)}{path}"

    def start(self, name: str, *extra: str, wait: bool = True) -> Process:
        """Start a service. Its first start binds a port of its own (--port 0) and reports it, so
        no other process can take it first; the inventory then names it, for the services started
        after it (start those a service calls first). A restart takes the same port again."""
        ready = self.root.parent / "logs" / f"{name}.port"
        ready.unlink(missing_ok=True)
        argv = [sys.executable, "-m", MODULES[name], "--inventory", str(self.inv_path), *extra,
                "--port", str(self.bound.get(name, 0)), "--ready-file", str(ready)]
        if name == "dvr_simulator":
            argv += ["--fps", "10"]
        proc = Process(name, argv, self.root.parent / "logs" / f"{name}.log", env=self.env, cwd=PROJECT_ROOT)
        proc.start()
        self.procs[name] = proc
        if name not in self.bound:
            self.bound[name] = wait_ready_file(ready, timeout=30, proc=proc.popen)
            self._bound_at(name, self.bound[name])
        if wait:
            health = self.url(name, "/healthz")
            wait_http(health, timeout=30, proc=proc.popen)
        return proc

    def _bound_at(self, name: str, port: int) -> None:
        """The inventory names the port `name` bound (the DVR simulator's also as its DVRs' port)."""
        data = yaml.safe_load(self.inv_path.read_text())
        old = data["services"][name]["port"]
        data["services"][name]["port"] = port
        for site in data["sites"] if name == "dvr_simulator" else ():
            for dvr in site.get("dvrs") or []:
                if dvr.get("port") == old:
                    dvr["port"] = port
        self.inv_path.write_text(yaml.safe_dump(data, sort_keys=False))

    def kill(self, name: str) -> None:
        self.procs[name].kill()

    def stop_all(self) -> None:
        for proc in reversed(list(self.procs.values())):
            proc.stop()

    def metrics(self, name: str) -> str:
        r = requests.get(self.url(name, "/metrics"), timeout=5)
        r.raise_for_status()
        return r.text


def write_clip(path: Path, start: int = 0, frames: int = 30, fps: float = 10.0) -> Path:
    """A real mp4 (MPEG-4 Part 2, as agent_dvr writes) of the simulator's scene from frame `start`."""
    scene = Scene(fps=fps)
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, (scene.width, scene.height))
    assert writer.isOpened(), path
    for n in range(start, start + frames):
        writer.write(scene.frame(n))
    writer.release()
    return path


def wait_for(predicate, timeout: float, what: str, step: float = 0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(step)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def promtool_check(text: str) -> subprocess.CompletedProcess:
    return subprocess.run(["promtool", "check", "metrics"], input=text, capture_output=True, text=True, timeout=30)


def parse_exposition(text: str) -> dict[str, dict]:
    """{metric family name: {"type": ..., "labels": set of label names}} from the text format."""
    from prometheus_client.parser import text_string_to_metric_families
    out = {}
    for fam in text_string_to_metric_families(text):
        labels = set()
        for sample in fam.samples:
            labels |= set(sample.labels) - {"le"}
        name = fam.name + "_total" if fam.type == "counter" else fam.name
        out[name] = {"type": fam.type, "labels": labels}
    return out


# Copies SRC to DEST in chunks: "held" keeps DEST open throughout, "reopen" opens, appends and closes
# it for every chunk (as a copy resumed by a retrying uploader would).
WRITER = """
import sys, time
src, dest, mode, pause, size = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4]), int(sys.argv[5])
data = open(src, "rb").read()
chunks = [data[i:i + size] for i in range(0, len(data), size)]
fh = open(dest, "ab") if mode == "held" else None
for chunk in chunks:
    if mode == "reopen":
        fh = open(dest, "ab")
    fh.write(chunk)
    fh.flush()
    if mode == "reopen":
        fh.close()
    time.sleep(pause)
if mode == "held":
    fh.close()
"""


def start_writer(src, dest, mode: str, pause: float, chunk: int = 65536) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", WRITER, str(src), str(dest), mode, str(pause), str(chunk)])
