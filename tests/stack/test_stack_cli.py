"""`vvdash stack` as a user runs it: up in one process, down from another; one-line errors for a
taken port or a missing binary; the webhook receiver records what it is sent."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time

import requests
from stack_helpers import base_inventory, run_cli, write_inventory

from vvdash.procs import free_port, wait_http
from vvdash.stack.runner import PID_FILE, leftovers, pid_alive
from vvdash.stack.webhook import read_notifications


def test_up_prints_urls_and_down_from_another_process_stops_everything(tmp_path):
    workdir = tmp_path / "stack"
    up = run_cli(["stack", "up", "--profile", "test", "--workdir", str(workdir)])
    try:
        assert up.returncode == 0, up.stdout + up.stderr
        state = json.loads((workdir / PID_FILE).read_text())
        urls = {}
        for label in ("Prometheus", "Alertmanager", "Pushgateway", "DVR simulator"):
            line = next(ln for ln in up.stdout.splitlines() if ln.strip().startswith(label + " "))
            urls[label] = line.split()[-1]
        requests.get(urls["Prometheus"] + "-/ready", timeout=5).raise_for_status()
        requests.get(urls["Alertmanager"] + "-/ready", timeout=5).raise_for_status()
        pids = list(state["pids"].values())
        assert len(pids) == 8 and all(pid_alive(p) for p in pids)   # `up` returned; the stack runs on
        again = run_cli(["stack", "up", "--profile", "test", "--workdir", str(workdir)])
        assert again.returncode == 2 and "already running" in again.stderr
    finally:
        down = run_cli(["stack", "down", "--workdir", str(workdir)])
    assert down.returncode == 0, down.stderr
    assert "stopped prometheus" in down.stdout and "stopped pipeline" in down.stdout
    assert not [p for p in pids if pid_alive(p)]
    assert leftovers(workdir / "vvdash.yaml") == []     # the supervisor's services went with it
    assert not (workdir / PID_FILE).exists()
    status = run_cli(["stack", "status", "--workdir", str(workdir)])
    assert status.returncode == 2 and "no stack running" in status.stderr


def test_a_taken_port_is_one_clear_line_and_nothing_starts(tmp_path):
    data = base_inventory()
    for name, svc in data["services"].items():
        if name != "bind_address":
            svc["port"] = free_port()
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        taken = holder.getsockname()[1]
        data["services"]["prometheus"]["port"] = taken
        inv = write_inventory(tmp_path, data)
        workdir = tmp_path / "stack"
        done = run_cli(["--inventory", str(inv), "stack", "up", "--inventory-ports", "--workdir", str(workdir)])
    assert done.returncode == 2
    errors = done.stderr.strip().splitlines()
    assert errors == [f"vvdash: error: port {taken} for prometheus is already in use "
                      "(vvdash.yaml: services.prometheus.port); free it or drop --inventory-ports"]
    assert not (workdir / PID_FILE).exists()


def test_a_missing_binary_is_one_clear_line(tmp_path):
    empty = tmp_path / "bin"
    empty.mkdir()
    done = run_cli(["stack", "up", "--workdir", str(tmp_path / "stack")], env={"PATH": str(empty)})
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        "vvdash: error: prometheus: binary not found; install the Debian package prometheus "
        "(apt-get install prometheus)"]


def test_webhook_receiver_records_and_prints_every_notification(tmp_path):
    port, out = free_port(), tmp_path / "notes.jsonl"
    proc = subprocess.Popen([sys.executable, "-m", "vvdash.stack.webhook", "--port", str(port), "--out", str(out)],
                            stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        wait_http(f"http://127.0.0.1:{port}/healthz", proc=proc)
        payload = {"receiver": "paging", "status": "firing",
                   "alerts": [{"status": "firing", "labels": {"alertname": "VVDvrDisconnected", "dvr": "dvr1"}}]}
        before = time.time()
        assert requests.post(f"http://127.0.0.1:{port}/paging", json=payload, timeout=5).status_code == 200
        assert requests.post(f"http://127.0.0.1:{port}/x", data=b"{not json", timeout=5).status_code == 400
        records = read_notifications(out)
        assert len(records) == 1 and records[0]["path"] == "/paging" and records[0]["payload"] == payload
        assert records[0]["received_at"] >= before
        assert requests.get(f"http://127.0.0.1:{port}/notifications", timeout=5).json() == records
    finally:
        proc.terminate()
        stdout, _ = proc.communicate(timeout=10)
    assert "notification /paging receiver=paging status=firing alerts=1 [VVDvrDisconnected]" in stdout


def test_a_part_that_fails_to_start_stops_what_had_started(tmp_path, monkeypatch):
    from vvdash.errors import VVError
    from vvdash.stack.runner import Part, Stack

    real_parts = Stack.parts

    def parts_with_a_broken_one(self):
        parts = real_parts(self)
        broken = Part("broken", [sys.executable, "-c", "print('cannot open config: bad key'); raise SystemExit(3)"],
                      "http://127.0.0.1:9/never")
        return parts[:3] + [broken] + parts[3:]

    monkeypatch.setattr(Stack, "parts", parts_with_a_broken_one)
    stack = Stack((tmp_path / "stack").resolve())
    lines: list[str] = []
    try:
        stack.up(profile="test", progress=lines.append)
    except VVError as exc:
        message = str(exc)
    else:
        raise AssertionError("up succeeded with a part that exits")
    assert message.startswith("broken: did not become healthy at http://127.0.0.1:9/never (cannot open config: bad key)")
    assert "\n" not in message
    started = [int(m) for line in lines for m in re.findall(r"\(pid (\d+)\)", line)]
    assert len(started) == 3                      # the three parts before it had started...
    assert not [pid for pid in started if pid_alive(pid)]   # ...and were stopped
    assert not (tmp_path / "stack" / PID_FILE).exists() and not stack.procs
    assert leftovers(tmp_path / "stack" / "vvdash.yaml") == []
