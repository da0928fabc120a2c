"""Pushing a cron-style job's metrics: stable grouping key, totals kept across runs, never fatal.

Each job pushes under its own job name (vvdash.jobs) with the grouping key
{site, instance=<the site's first host name>}: nothing that changes from run to
run, so every run replaces the previous run's group instead of adding a new one.

A push replaces the whole group (HTTP PUT), so counters must carry their running
totals: `JobState` keeps them in a small JSON file under the storage root
(<root>/.state/<job>.json), written atomically, and holds an exclusive lock on
<job>.lock for the run so two overlapping runs cannot lose each other's counts.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import tempfile
from pathlib import Path

from prometheus_client import CollectorRegistry, disable_created_metrics, push_to_gateway

from vvdash.catalog.instrument import instruments
from vvdash.errors import VVError
from vvdash.inventory import Inventory
from vvdash.jobs import job as job_name

# A `_created` series changes on every run of a short-lived job and would make
# Prometheus see a counter reset each time; the catalog declares none.
disable_created_metrics()

log = logging.getLogger("pushgateway")

STATE_DIR = ".state"
PUSH_TIMEOUT_SECONDS = 5.0


def job_registry(component: str, state: JobState, *, counters: dict[str, str], gauges: dict[str, str],
                 runs: str, run_labels: list[tuple[str, ...]], last_success: str) -> CollectorRegistry:
    """What a cron job pushes: its catalog instruments set from the totals `state` keeps
    (`counters` and `gauges`: metric -> state key; `runs` for each label tuple from the key
    `runs:<labels>`), and its last-success time once it has had one."""
    registry = CollectorRegistry()
    m = instruments(component, registry, skip=() if state.get("last_success") else (last_success,))
    for metric, key in counters.items():
        m[metric].inc(state.get(key))
    for metric, key in gauges.items():
        m[metric].set(state.get(key))
    for labels in run_labels:
        m[runs].labels(*labels).inc(state.get("runs:" + ":".join(labels)))
    if state.get("last_success"):
        m[last_success].set(state.get("last_success"))
    return registry


def grouping_key(inv: Inventory, site: dict) -> dict[str, str]:
    """The labels identifying this job's group: site and host, never anything per run."""
    return {"site": site["name"], "instance": site["hosts"][0]["name"]}


def gateway_url(inv: Inventory, override: str | None = None) -> str:
    return override or inv.service_url("pushgateway")


def push(registry: CollectorRegistry, component: str, url: str, key: dict[str, str],
         timeout: float = PUSH_TIMEOUT_SECONDS) -> bool:
    """PUT `registry` to the Pushgateway; on any failure log one line and return False."""
    job = job_name(component)
    try:
        push_to_gateway(url, job=job, registry=registry, grouping_key=key, timeout=timeout)
    except Exception as exc:  # the job's real work is done; a monitoring outage must not undo it
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        log.warning("push of job %s to %s failed: %s", job, url, reason[:200])
        return False
    log.info("pushed job %s to %s %s", job, url, key)
    return True


class JobState:
    """Running totals of one pushed job, under an exclusive lock for the duration of a run."""

    def __init__(self, root: Path, component: str):
        self.dir = Path(root) / STATE_DIR
        self.path = self.dir / f"{component}.json"
        self.lock_path = self.dir / f"{component}.lock"
        self.component = component
        self.data: dict = {}
        self._lock_fd: int | None = None

    def __enter__(self) -> JobState:
        self.dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise VVError(f"{self.component}: another run holds {self.lock_path}; not starting a second one") from None
        self._lock_fd = fd
        self.data = self._read()
        return self

    def __exit__(self, *exc) -> None:
        if self._lock_fd is not None:
            fcntl.flock(self._lock_fd, fcntl.LOCK_UN)
            os.close(self._lock_fd)
            self._lock_fd = None

    def _read(self) -> dict:
        try:
            data = json.loads(self.path.read_text())
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as exc:
            # Losing totals means a visible counter reset, not lost work: carry on from zero.
            log.warning("%s: unreadable state file (%s); counters restart from zero", self.path, exc)
            return {}
        return data if isinstance(data, dict) else {}

    def add(self, key: str, amount: float) -> float:
        """Add `amount` to the total `key` and return the new total."""
        self.data[key] = self.data.get(key, 0) + amount
        return self.data[key]

    def get(self, key: str, default=0):
        return self.data.get(key, default)

    def set(self, key: str, value) -> None:
        self.data[key] = value

    def save(self) -> None:
        fd, tmp = tempfile.mkstemp(dir=self.dir, prefix=f".{self.component}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "w") as fh:
                json.dump(self.data, fh, sort_keys=True)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
