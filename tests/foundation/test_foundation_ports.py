"""Ports for test services: free_port never repeats, and a server given its port up front is
started again when another process took that port first."""

import socket

from vvdash.procs import free_port


def test_free_port_never_repeats_within_a_process():
    ports = [free_port() for _ in range(500)]
    assert len(set(ports)) == len(ports)


def test_free_port_is_bindable():
    port = free_port()
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", port))


def test_a_server_whose_port_was_taken_starts_again_on_another(tmp_path, monkeypatch):
    """start_on_free_port: a real Pushgateway handed a port another process holds exits with
    "address already in use"; it is started again on the next free port."""
    import vvdash.procs as procs
    from vvdash.procs import Process, require_binary, start_on_free_port

    binary = require_binary("prometheus-pushgateway")
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        ports = iter([taken.getsockname()[1], free_port()])
        monkeypatch.setattr(procs, "free_port", lambda: next(ports))
        logs = []

        def start(port: int) -> Process:
            logs.append(tmp_path / f"pushgateway-{port}.log")
            return Process("pushgateway", [binary, f"--web.listen-address=127.0.0.1:{port}", "--persistence.file="],
                           logs[-1]).start()

        proc, port = start_on_free_port(start, lambda port: f"http://127.0.0.1:{port}/-/ready", timeout=20)
        try:
            assert port != taken.getsockname()[1] and proc.alive()
            assert len(logs) == 2 and "address already in use" in logs[0].read_text().lower()
        finally:
            proc.stop()


def test_a_server_failing_for_another_reason_is_not_retried(tmp_path):
    import pytest

    from vvdash.errors import VVError
    from vvdash.procs import Process, require_binary, start_on_free_port

    binary = require_binary("prometheus-pushgateway")
    starts = []

    def start(port: int) -> Process:
        starts.append(port)
        return Process("pushgateway", [binary, f"--web.listen-address=127.0.0.1:{port}", "--no-such-flag"],
                       tmp_path / "pushgateway.log").start()

    with pytest.raises(VVError, match="exited"):
        start_on_free_port(start, lambda port: f"http://127.0.0.1:{port}/-/ready", timeout=20)
    assert len(starts) == 1
