"""Ways to bring a service back, behind pipeline.supervisor.Restarter (restart, alive).

SupervisorRestarter: the local processes `vvdash pipeline run` started.
DockerRestarter: a compose deployment, by shelling out to `docker restart <container>`.
"""

from __future__ import annotations

import shutil
import subprocess

from pipeline.supervisor import Supervisor
from vvdash.errors import VVError


class SupervisorRestarter:
    def __init__(self, supervisor: Supervisor):
        self.supervisor = supervisor

    def restart(self, service: str) -> None:
        self.supervisor.restart(service)

    def alive(self, service: str) -> bool:
        return self.supervisor.alive(service)


class DockerRestarter:
    """Containers named in `containers` ({service: container name}); the service name by default."""

    def __init__(self, containers: dict[str, str] | None = None, docker: str = "docker", timeout: float = 60.0):
        self.containers = dict(containers or {})
        self.docker = docker
        self.timeout = timeout

    def _container(self, service: str) -> str:
        return self.containers.get(service, service)

    def _run(self, *args: str) -> subprocess.CompletedProcess:
        exe = shutil.which(self.docker)
        if not exe:
            raise VVError(f"{self.docker}: command not found; the Docker restarter needs the docker CLI")
        return subprocess.run([exe, *args], capture_output=True, text=True, timeout=self.timeout)

    def restart(self, service: str) -> None:
        done = self._run("restart", self._container(service))
        if done.returncode != 0:
            detail = (done.stderr or done.stdout).strip().splitlines()
            raise RuntimeError(f"docker restart {self._container(service)} failed: "
                               f"{detail[0] if detail else f'exit {done.returncode}'}")

    def alive(self, service: str) -> bool:
        try:
            done = self._run("inspect", "--format", "{{.State.Running}}", self._container(service))
        except (subprocess.TimeoutExpired, VVError):
            return False
        return done.returncode == 0 and done.stdout.strip() == "true"
