"""`stack up` on ports picked as free: a port another process takes before a part binds it
costs an attempt, not the run. The Pushgateway and the webhook receiver stand for every part:
the retry is the same for all (vvdash/stack/runner.py), so the stack here runs only its first
parts, real processes on real ports."""

from __future__ import annotations

import socket

import pytest
import requests

from vvdash.errors import VVError
from vvdash.procs import PORT_ATTEMPTS
from vvdash.stack import profile as stack_profile
from vvdash.stack import runner
from vvdash.stack.runner import Stack

FIRST_PARTS = ("webhook_receiver", "pushgateway")


@pytest.fixture
def held():
    """A port another process holds (listening), as one that took a port picked as free."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        yield s.getsockname()[1]


@pytest.fixture
def first_parts(monkeypatch):
    parts = Stack.parts
    monkeypatch.setattr(Stack, "parts", lambda self: [p for p in parts(self) if p.name in FIRST_PARTS])
    monkeypatch.setattr(Stack, "_wait_first_scrapes", lambda self: None)   # no Prometheus among them


def _hand_out(monkeypatch, service: str, port: int, times: int) -> list[dict]:
    """pick_ports as it is, except that its first `times` picks give `service` the held `port`."""
    picks: list[dict] = []
    pick = stack_profile.pick_ports

    def picked(base, fixed):
        ports = pick(base, fixed)
        if len(picks) < times:
            ports[service] = port
        picks.append(ports)
        return ports

    monkeypatch.setattr(stack_profile, "pick_ports", picked)
    return picks


def _up_elsewhere(tmp_path, service: str, health: str, held: int) -> list[str]:
    """`stack up`, then `service` answers on a port other than the held one; what up said."""
    said: list[str] = []
    stack = Stack(tmp_path / "stack")
    try:
        stack.up(profile="test", progress=said.append)
        port = stack.inv.service(service)["port"]
        assert port != held
        assert requests.get(f"http://127.0.0.1:{port}{health}", timeout=5).status_code == 200
    finally:
        stack.stop(progress=lambda *_: None)
    return said


def test_a_part_that_cannot_bind_its_port_starts_again_on_another(tmp_path, monkeypatch, held, first_parts):
    """The port is free when checked and taken when the Pushgateway binds it (the check is told
    it is free, as in the moment between the two)."""
    picks = _hand_out(monkeypatch, "pushgateway", held, times=1)
    monkeypatch.setattr(runner, "port_in_use", lambda port, host="127.0.0.1": False)
    said = _up_elsewhere(tmp_path, "pushgateway", "/-/ready", held)
    assert len(picks) == 2
    lost = [line for line in said if "starting again" in line]
    assert lost == [f"  pushgateway: a port picked as free was taken before it could bind it (logs/pushgateway.log): "
                    f"starting again on other free ports (attempt 2 of {PORT_ATTEMPTS})"], said
    assert "address already in use" in (tmp_path / "stack/logs/pushgateway.log").read_text().lower()


def test_a_port_taken_before_its_part_starts_is_picked_again(tmp_path, monkeypatch, held, first_parts):
    picks = _hand_out(monkeypatch, "webhook_receiver", held, times=1)
    said = _up_elsewhere(tmp_path, "webhook_receiver", "/healthz", held)
    assert len(picks) == 2
    assert f"  port {held} for webhook_receiver, picked as free, was taken before webhook_receiver started: " \
           f"starting again on other free ports (attempt 2 of {PORT_ATTEMPTS})" in said


def test_the_attempts_are_bounded(tmp_path, monkeypatch, held, first_parts):
    monkeypatch.setattr(runner, "PORT_ATTEMPTS", 2)     # each attempt renders the project: keep it short
    picks = _hand_out(monkeypatch, "webhook_receiver", held, times=3)
    stack = Stack(tmp_path / "stack")
    with pytest.raises(VVError) as raised:
        stack.up(profile="test", progress=lambda *_: None)
    assert len(picks) == 2
    assert str(raised.value) == (f"port {held} for webhook_receiver, picked as free, was taken before webhook_receiver "
                                 "started, in each of 2 attempts on other free ports")
    assert not stack.procs and not (tmp_path / "stack" / runner.PID_FILE).exists()
