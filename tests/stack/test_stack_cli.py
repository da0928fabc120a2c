"""`vvdash stack` as a user runs it: up in one process, down from another; one-line errors for a
taken port or a missing binary; the webhook receiver records what it is sent."""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from stack_helpers import ROOT, base_inventory, run_cli, write_inventory

from vvdash.http_reply import wait_ready_file
from vvdash.procs import Process, free_port, wait_http
from vvdash.stack.runner import PID_FILE, Stack, leftovers, pid_alive, start_time
from vvdash.stack.webhook import read_notifications


def test_up_prints_urls_and_down_from_another_process_stops_everything(tmp_path):
    workdir = tmp_path / "stack"
    up = run_cli(["stack", "up", "--profile", "test", "--workdir", str(workdir)])
    try:
        assert up.returncode == 0, up.stdout + up.stderr
        state = json.loads((workdir / PID_FILE).read_text())
        urls = {}
        for label in ("Prometheus", "Prometheus targets", "Prometheus alerts", "Alertmanager", "Pushgateway"):
            line = next(ln for ln in up.stdout.splitlines() if ln.strip().startswith(label + " "))
            urls[label] = line.split()[-1]
        # Every printed link answers on what runs (Debian's generation 3 builds: the API only).
        for label, url in urls.items():
            r = requests.get(url.split("#")[0], timeout=5)
            assert r.status_code == 200 and "does not include a web application" not in " ".join(r.text.split()), \
                (label, url, r.status_code)
        assert re.search(r"^tools: generation 3 ", up.stdout, re.M), up.stdout
        assert re.search(r"^  prometheus 3\.5\.\d+ \(\S+/\.tools/debian-unstable/usr/bin/prometheus\)$", up.stdout,
                         re.M), up.stdout
        pids = [rec["pid"] for rec in state["processes"].values()]
        assert len(pids) == 10 and all(pid_alive(p) for p in pids)   # `up` returned; the stack runs on
        dashboards = next(ln for ln in up.stdout.splitlines() if ln.strip().startswith("Dashboards "))
        assert "VV / Overview" in requests.get(dashboards.split()[-1], timeout=5).text    # the preview
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
    done = run_cli(["stack", "up", "--generation", "2", "--workdir", str(tmp_path / "stack")], env={"PATH": str(empty)})
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        "vvdash: error: prometheus: binary not found; install the Debian package prometheus "
        "(apt-get install prometheus)"]


def test_webhook_receiver_records_and_prints_every_notification(tmp_path):
    out, ready = tmp_path / "notes.jsonl", tmp_path / "webhook.port"
    proc = subprocess.Popen([sys.executable, "-m", "vvdash.stack.webhook", "--port", "0", "--ready-file", str(ready),
                             "--out", str(out)],
                            stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        port = wait_ready_file(ready, proc=proc)      # the port it bound itself
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
        try:
            stdout, _ = proc.communicate(timeout=10)
        finally:
            if proc.poll() is None:     # did not stop in time: do not leave it listening
                proc.kill()
                proc.wait()
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


def _running_in(workdir: Path) -> list[int]:
    """Live processes whose working folder is the stack's (every part starts there)."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and Path(os.readlink(entry / "cwd")) == workdir and pid_alive(int(entry.name)):
                found.append(int(entry.name))
        except OSError:
            continue
    return found


def _stop_all_in(workdir: Path) -> None:
    """Safety net when an assertion failed: nothing the test started may outlive it."""
    for pid in _running_in(workdir):
        try:
            os.killpg(pid, signal.SIGKILL) if os.getpgid(pid) == pid else os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def test_sigterm_while_starting_stops_what_had_started(tmp_path):
    workdir = (tmp_path / "stack").resolve()
    proc = subprocess.Popen([sys.executable, "-m", "vvdash", "stack", "up", "--profile", "test",
                             "--workdir", str(workdir)], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    started: list[int] = []
    try:
        for line in proc.stdout:      # bounded: the process ends, or is killed below
            started += [int(m) for m in re.findall(r"\(pid (\d+)\)", line)]
            if line.strip().startswith("alertmanager "):
                break                 # half-way: more parts to come, `up` has not returned
        assert len(started) == 5, f"start-up did not get half-way: {started}"
        assert _running_in(workdir)
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=90)
        assert proc.returncode == 130, err
        assert "vvdash: interrupted" in err
        assert "vvdash stack: up" not in out
        assert not [pid for pid in started if pid_alive(pid)]
        assert _running_in(workdir) == [] and leftovers(workdir / "vvdash.yaml") == []
        assert not (workdir / PID_FILE).exists()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        _stop_all_in(workdir)


def test_an_interrupt_while_waiting_for_the_first_scrapes_stops_everything(tmp_path, monkeypatch):
    real_parts = Stack.parts
    monkeypatch.setattr(Stack, "parts", lambda self: real_parts(self)[:2])   # the receiver and the Pushgateway

    def interrupted(self):
        assert len([p for p in self.procs.values() if p.alive()]) == 2
        raise KeyboardInterrupt        # what Ctrl-C / SIGTERM raise under `vvdash stack up` and `demo`

    monkeypatch.setattr(Stack, "_wait_first_scrapes", interrupted)
    stack = Stack((tmp_path / "stack").resolve())
    lines: list[str] = []
    try:
        with pytest.raises(KeyboardInterrupt):
            stack.up(profile="test", progress=lines.append)
        started = [int(m) for line in lines for m in re.findall(r"\(pid (\d+)\)", line)]
        assert len(started) == 2 and not [pid for pid in started if pid_alive(pid)]
        assert _running_in(stack.workdir) == [] and not (stack.workdir / PID_FILE).exists()
    finally:
        _stop_all_in(stack.workdir)


@pytest.fixture
def unrelated_process():
    """A live process that is not part of any stack (in its own session, like the stack's parts)."""
    proc = subprocess.Popen(["sleep", "300"], start_new_session=True)
    try:
        yield proc
    finally:
        proc.kill()
        proc.wait()


def _write_state(workdir: Path, processes: dict) -> None:
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / PID_FILE).write_text(json.dumps({"inventory": str(ROOT / "vvdash.yaml"), "processes": processes}))


def test_a_stale_pid_file_never_signals_the_process_that_now_has_the_pid(tmp_path, unrelated_process):
    workdir = tmp_path / "stack"
    pid = unrelated_process.pid
    # As after a reboot: the recorded pid now belongs to another process, started at another time.
    _write_state(workdir, {"prometheus": {"pid": pid, "start_time": start_time(pid) - 1}})
    assert Stack(workdir).running_pids() == {}
    down = run_cli(["stack", "down", "--workdir", str(workdir)])
    assert down.returncode == 0 and "nothing was running" in down.stdout, down.stdout + down.stderr
    assert unrelated_process.poll() is None
    # `up` does not refuse for it either: it gets past that check (to the missing binaries here).
    _write_state(workdir, {"prometheus": {"pid": pid, "start_time": start_time(pid) - 1}})
    up = run_cli(["stack", "up", "--generation", "2", "--workdir", str(workdir)], env={"PATH": str(tmp_path)})
    assert up.returncode == 2 and "binary not found" in up.stderr and "already running" not in up.stderr
    # A pid file from before start times were recorded proves nothing either.
    (workdir / PID_FILE).write_text(json.dumps({"inventory": "x", "pids": {"prometheus": pid}}))
    assert Stack(workdir).running_pids() == {}
    assert unrelated_process.poll() is None


def test_a_pid_file_whose_start_time_matches_is_the_stack_down_stops(tmp_path, unrelated_process):
    workdir = tmp_path / "stack"
    pid = unrelated_process.pid
    _write_state(workdir, {"prometheus": {"pid": pid, "start_time": start_time(pid)}})
    assert Stack(workdir).running_pids() == {"prometheus": pid}
    up = run_cli(["stack", "up", "--generation", "2", "--workdir", str(workdir)], env={"PATH": str(tmp_path)})
    assert up.returncode == 2 and "already running" in up.stderr
    down = run_cli(["stack", "down", "--workdir", str(workdir)])
    assert down.returncode == 0 and "stopped prometheus" in down.stdout
    unrelated_process.wait(timeout=10)      # it was stopped
    assert not (workdir / PID_FILE).exists()


def test_demo_exits_1_when_a_part_dies(tmp_path, monkeypatch, capsys):
    from vvdash.commands import demo

    stack = Stack((tmp_path / "stack").resolve())
    stack.procs["dvr_simulator"] = Process("dvr_simulator", [sys.executable, "-c", "raise SystemExit(3)"],
                                           tmp_path / "dvr.log").start()
    stack.procs["pushgateway"] = Process("pushgateway", ["sleep", "300"], tmp_path / "pg.log").start()
    survivor = stack.procs["pushgateway"].pid
    monkeypatch.setattr(demo, "build", lambda *a: argparse.Namespace(files=[], written=[]))
    monkeypatch.setattr(demo, "bring_up", lambda args: stack)
    monkeypatch.setattr(demo, "POLL_SECONDS", 0.1)
    handlers = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        code = demo.run(argparse.Namespace(inventory=None, detach=False))
    finally:
        for sig, handler in handlers.items():
            signal.signal(sig, handler)
    assert code == 1
    assert "vvdash demo: dvr_simulator exited" in capsys.readouterr().out
    assert not stack.procs and not pid_alive(survivor)      # the rest of the stack was stopped
