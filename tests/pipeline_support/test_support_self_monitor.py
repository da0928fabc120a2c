"""self_monitor over a real Supervisor: a killed service comes back; a crash-looping one is given up."""

from __future__ import annotations

import os
import stat
import sys
import textwrap
import time

import pytest
import requests
from prometheus_client import CollectorRegistry, generate_latest
from support_helpers import value

from pipeline.restarters import DockerRestarter, SupervisorRestarter
from pipeline.self_monitor import SelfMonitor, Watched
from pipeline.supervisor import ServiceSpec, Supervisor
from vvdash.procs import free_port, wait_http

# A throwaway service: answers /healthz with 200 once it has started.
TINY_SERVICE = textwrap.dedent("""
    import sys, time
    from http.server import BaseHTTPRequestHandler, HTTPServer
    time.sleep(float(sys.argv[2]))          # boot time
    class H(BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200 if self.path == "/healthz" else 404)
            self.end_headers()
            self.wfile.write(b"ok")
        def log_message(self, *a):
            pass
    HTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
""")

PERIOD = 0.5


@pytest.fixture
def supervisor(tmp_path):
    sup = Supervisor(tmp_path / "logs")
    try:
        yield sup
    finally:
        sup.stop_all()


def tiny(tmp_path, boot: float = 0.2) -> tuple[ServiceSpec, str]:
    script = tmp_path / "tiny_service.py"
    script.write_text(TINY_SERVICE)
    port = free_port()
    url = f"http://127.0.0.1:{port}/healthz"
    return ServiceSpec("tiny", [sys.executable, str(script), str(port), str(boot)], health_url=url), url


def reported(registry, service: str) -> dict[str, float]:
    """What self_monitor's series say of `service`."""
    text = generate_latest(registry).decode()
    return {name: value(text, f"vv_self_monitor_{name}", service=service)
            for name in ("service_up", "container_restarts_triggered_total", "unhealthy_services_detected_total",
                         "service_given_up")}


def monitor(sup, budget=3, window=60.0, grace=5.0):
    registry = CollectorRegistry()
    watched = [Watched(spec.name, spec.health_url) for spec in sup.specs.values()]
    return SelfMonitor(SupervisorRestarter(sup), watched, PERIOD, budget, window, registry, start_grace=grace), registry


def wait_until(pred, timeout: float, step: float = 0.05) -> float:
    """Seconds until pred() held; fails after `timeout`."""
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if pred():
            return time.monotonic() - start
        time.sleep(step)
    raise AssertionError(f"condition not met within {timeout}s")


def healthy(url):
    try:
        return requests.get(url, timeout=0.5).status_code == 200
    except requests.RequestException:
        return False


def restarts(registry, service: str) -> float:
    return value(generate_latest(registry).decode(), "vv_self_monitor_container_restarts_triggered_total",
                 service=service)


def test_a_killed_service_is_restarted_by_the_first_probe_after_its_death(tmp_path, supervisor):
    spec, url = tiny(tmp_path)
    supervisor.add(spec)
    t0 = time.monotonic()
    supervisor.start("tiny")
    wait_http(url, timeout=30)
    restart_time = time.monotonic() - t0               # what one start of this service costs here
    mon, registry = monitor(supervisor)
    mon.probe_all()
    assert value(generate_latest(registry).decode(), "vv_self_monitor_service_up", service="tiny") == 1
    first_pid = supervisor.pid("tiny")
    supervisor.procs["tiny"].kill()                     # returns once the process is reaped
    # The loop probes every PERIOD, so "restarted by the first probe after death" is
    # "back within one period plus one start": the probe count is the deterministic part.
    mon.probe_all()
    assert restarts(registry, "tiny") == 1
    assert supervisor.pid("tiny") != first_pid and supervisor.alive("tiny")
    # Generous against a loaded machine, yet bounded by this service's own measured start.
    wait_until(lambda: healthy(url), timeout=3 * restart_time + 10)
    mon.probe_all()
    assert reported(registry, "tiny") == {"service_up": 1, "container_restarts_triggered_total": 1,
                                          "unhealthy_services_detected_total": 1, "service_given_up": 0}


def test_the_probe_loop_restarts_a_killed_service_on_its_own(tmp_path, supervisor):
    spec, url = tiny(tmp_path)
    supervisor.add(spec)
    supervisor.start("tiny")
    wait_http(url, timeout=30)
    mon, registry = monitor(supervisor)
    mon.start()
    try:
        wait_until(lambda: value(generate_latest(registry).decode(), "vv_self_monitor_service_up",
                                 service="tiny") == 1, timeout=30)
        supervisor.procs["tiny"].kill()
        wait_until(lambda: restarts(registry, "tiny") == 1, timeout=30)
        wait_until(lambda: healthy(url), timeout=30)
    finally:
        mon.stop()
    assert mon.health() == (False, "probe loop not running")     # stop() joined the loop
    assert restarts(registry, "tiny") == 1


def test_a_service_dying_on_every_start_is_given_up_after_its_budget(tmp_path, supervisor):
    supervisor.add(ServiceSpec("crashy", [sys.executable, "-c", "import sys; sys.exit(3)"]))
    supervisor.start("crashy")
    mon, registry = monitor(supervisor, budget=2)

    def probe_after_death():
        wait_until(lambda: not supervisor.alive("crashy"), timeout=30)
        mon.probe_all()

    for n in (1, 2):                                    # the budget: one restart per probe
        probe_after_death()
        assert restarts(registry, "crashy") == n
    probe_after_death()                                 # budget spent: left down, reported
    for _ in range(3):                                  # several more probes: no more restarts
        mon.probe_all()
    assert reported(registry, "crashy") == {"service_up": 0, "container_restarts_triggered_total": 2,
                                            "unhealthy_services_detected_total": 6, "service_given_up": 1}
    assert not supervisor.alive("crashy")


def test_budget_window_lets_an_old_restart_expire(tmp_path, supervisor):
    supervisor.add(ServiceSpec("crashy", [sys.executable, "-c", "import sys; sys.exit(3)"]))
    supervisor.start("crashy")
    mon, registry = monitor(supervisor, budget=1, window=0.01)
    for _ in range(3):                                  # each probe: the previous restart is out of the window
        wait_until(lambda: not supervisor.alive("crashy"), timeout=10)
        mon.probe_all()
    supervisor.stop_all()
    text = generate_latest(registry).decode()
    assert value(text, "vv_self_monitor_container_restarts_triggered_total", service="crashy") == 3
    assert value(text, "vv_self_monitor_service_given_up", service="crashy") == 0


def test_a_live_but_unhealthy_service_is_restarted_only_after_repeated_failures(tmp_path, supervisor):
    spec, url = tiny(tmp_path, boot=30)                 # alive, never healthy within the test
    supervisor.add(spec)
    supervisor.start("tiny")
    mon, registry = monitor(supervisor, grace=0.0)
    mon.probe_all()
    text = generate_latest(registry).decode()
    assert value(text, "vv_self_monitor_container_restarts_triggered_total", service="tiny") == 0
    mon.probe_all()
    text = generate_latest(registry).decode()
    assert value(text, "vv_self_monitor_container_restarts_triggered_total", service="tiny") == 1
    assert value(text, "vv_self_monitor_unhealthy_services_detected_total", service="tiny") == 2


def test_docker_restarter_shells_docker_restart(tmp_path, monkeypatch):
    # Stand-in for the docker CLI (no Docker engine here): records its argv, answers `inspect` like docker.
    calls = tmp_path / "calls.txt"
    fake = tmp_path / "bin" / "docker"
    fake.parent.mkdir()
    fake.write_text(f"""#!/bin/sh
echo "$@" >> {calls}
case "$1" in
  inspect) [ "$4" = "vv-orchestrator" ] && echo true && exit 0; echo "Error: No such object: $4" >&2; exit 1;;
  restart) [ "$2" = "vv-orchestrator" ] && echo "$2" && exit 0; echo "Error: No such container: $2" >&2; exit 1;;
esac
""")
    fake.chmod(fake.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", f"{fake.parent}{os.pathsep}{os.environ['PATH']}")
    r = DockerRestarter({"orchestrator": "vv-orchestrator"})
    r.restart("orchestrator")
    assert r.alive("orchestrator") is True
    assert r.alive("scan_video") is False
    with pytest.raises(RuntimeError, match="No such container: scan_video"):
        r.restart("scan_video")
    assert calls.read_text().splitlines() == [
        "restart vv-orchestrator",
        "inspect --format {{.State.Running}} vv-orchestrator",
        "inspect --format {{.State.Running}} scan_video",
        "restart scan_video",
    ]
