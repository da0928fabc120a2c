"""Start and stop local processes (services, Debian binaries) for the stack and tests.

Each process runs in its own session so stopping it takes its children too.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import requests

from vvdash import project_folder
from vvdash.errors import VVError
from vvdash.generations import STABLE_PACKAGE

# Which Debian package provides each binary (for "missing binary" messages).
DEBIAN_PACKAGE = {**STABLE_PACKAGE, "prometheus-nginx-exporter": "prometheus-nginx-exporter"}


def require_binary(name: str) -> str:
    path = shutil.which(name)
    if not path:
        pkg = DEBIAN_PACKAGE.get(name, name)
        raise VVError(f"{name}: binary not found; install the Debian package {pkg} (apt-get install {pkg})")
    return path


_HANDED_OUT: set[int] = set()


def free_port(host: str = "127.0.0.1") -> int:
    """A port free now and never handed out before by this process: the kernel may offer a port
    again once its socket is closed, and two services of one inventory must not share one."""
    while True:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            s.bind((host, 0))
            port = s.getsockname()[1]
        if port not in _HANDED_OUT:
            _HANDED_OUT.add(port)
            return port


ADDRESS_IN_USE = "address already in use"
PORT_ATTEMPTS = 5


def start_on_free_port(start: Callable[[int], Process], ready_url: Callable[[int], str], timeout: float = 30.0,
                       attempts: int = PORT_ATTEMPTS) -> tuple[Process, int]:
    """For servers whose port is given up front (Prometheus, Alertmanager, the Pushgateway: their
    own config names it): `start(port)` on a free port and wait for `ready_url(port)`. A free
    port may be taken by another process before the server binds it; the server then exits
    saying "address already in use", and it is started again on another port."""
    for _ in range(attempts):
        port = free_port()
        proc = start(port)
        try:
            wait_http(ready_url(port), timeout=timeout, proc=proc.popen)
            return proc, port
        except VVError as exc:
            proc.stop()
            if ADDRESS_IN_USE not in proc.tail(50).lower():
                last = proc.tail(1).strip()
                raise VVError(f"{exc}" + (f"; its log ends: {last[-300:]}" if last else "")) from None
    raise VVError(f"{proc.name}: every one of {attempts} free ports was taken before it could bind it")


def port_in_use(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.settimeout(0.2)
        return s.connect_ex((host, port)) == 0


def wait_http(url: str, timeout: float = 20.0, proc: subprocess.Popen | None = None,
              ok=lambda r: r.status_code == 200) -> None:
    """Poll `url` until it answers OK; fail early if `proc` exits."""
    deadline = time.monotonic() + timeout
    last = "no answer"
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise VVError(f"{url}: process exited with code {proc.returncode} before it became ready")
        try:
            r = requests.get(url, timeout=1)
            if ok(r):
                return
            last = f"HTTP {r.status_code}"
        except requests.RequestException as exc:
            last = type(exc).__name__
        time.sleep(0.1)
    raise VVError(f"{url}: not ready after {timeout:.0f}s ({last})")


def wait_until(check: Callable, timeout: float, what: str, every: float = 1.0):
    """Poll `check()` until it returns something true (an HTTP error or a missing key counts as
    not yet, as does a VVError of a check); VVError naming `what` and the last answer after `timeout`."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            last = check()
            if last:
                return last
        except (requests.RequestException, KeyError, ValueError, VVError) as exc:
            last = exc
        time.sleep(every)
    raise VVError(f"{what} not within {timeout:.0f}s (last: {last!r})"[:500])


class Process:
    """A child process with its log file; `stop()` terminates its whole process group."""

    def __init__(self, name: str, argv: list[str], log_path: Path, env: dict | None = None,
                 cwd: Path | None = None):
        self.name = name
        self.argv = argv
        self.log_path = Path(log_path)
        self.env = env
        self.cwd = cwd
        self.popen: subprocess.Popen | None = None

    def start(self) -> Process:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = open(self.log_path, "ab")
        try:
            self.popen = subprocess.Popen(
                self.argv, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                env={**os.environ, **project_folder.child_env(), **(self.env or {})}, cwd=self.cwd, start_new_session=True,
            )
        finally:
            log.close()
        return self

    @property
    def pid(self) -> int | None:
        return self.popen.pid if self.popen else None

    def alive(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def stop(self, timeout: float = 5.0) -> None:
        if not self.popen or self.popen.poll() is not None:
            return
        try:
            os.killpg(self.popen.pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        try:
            self.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            try:
                os.killpg(self.popen.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.popen.wait(timeout)

    def kill(self) -> None:
        """SIGKILL, no grace: for crash tests."""
        if self.popen is not None and self.alive():
            os.killpg(self.popen.pid, signal.SIGKILL)
            self.popen.wait()

    def tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""
