"""Hours of the fleet's history in the store, for timing the fleet overview over a day.

The overview reads only the ruler's per-site rollups and fleet SLO records, so those are what
is backfilled: every series the dashboard's queries select (names and fixed labels as their
selectors write them, one per site where they select by `site`, at the evaluation interval),
as OpenMetrics, turned into TSDB blocks by `promtool tsdb create-blocks-from openmetrics`,
given the ruler's external labels in their meta.json as Thanos' uploader does, laid out in a
filesystem bucket, and served by a Thanos store gateway behind a Thanos querier: where a day
of a fleet's records sits in production once the ruler has uploaded its blocks.
"""

from __future__ import annotations

import json
import math
import re
import subprocess
import zlib
from dataclasses import dataclass, field
from pathlib import Path

from vvdash.errors import VVError
from vvdash.model.dashboards import iter_targets
from vvdash.procs import Process, free_port, wait_http

# The ruler's external labels (vvdash/fleet_stack/runtime.py starts it with the same).
RULER_LABELS = {"ruler_cluster": "fleet"}
DVRS = 2
_SELECTOR = re.compile(r"([A-Za-z_:][A-Za-z0-9_:]*)\{([^}]*)\}")
_EQUAL = re.compile(r'([A-Za-z_][A-Za-z0-9_]*)="([^"]*)"')


def read_series(model: dict) -> list[tuple[str, dict, bool]]:
    """(name, fixed labels, one per site?) of every series the dashboard's queries select."""
    out = {}
    for _panel, target in iter_targets(model):
        for name, matchers in _SELECTOR.findall(target.get("expr", "")):
            labels = dict(_EQUAL.findall(matchers))
            out[(name, tuple(sorted(labels.items())))] = "site=" in matchers
    return [(name, dict(labels), per_site) for (name, labels), per_site in sorted(out.items())]


def record_value(record: str, phase: float, t: float) -> float:
    """A plausible value of `record` at time t for a site (phase in [0, 1)): a backlog and error
    ratio that wander, storage draining over days, one DVR out now and then; a site silent for
    a quarter of an hour once a day."""
    day = 86400.0
    if "reporting" in record:
        return 0.0 if ((t / day + phase) % 1.0) < 900 / day else 1.0
    if "backlog" in record:
        return float(round(20 + 15 * math.sin(2 * math.pi * (t / 3600 + phase))))
    if "ratio" in record:
        return round(0.02 + 0.015 * math.sin(2 * math.pi * (t / 7200 + phase)), 6)
    if "seconds_left" in record:
        return float(int(30 * day * (1 + phase) - (t % (30 * day))))
    if "dvrs_connected" in record:
        return float(DVRS - (((t / 1800 + phase) % 1.0) < 0.05))
    if "dvrs" in record:
        return float(DVRS)
    return 1.0


def site_phase(site: str) -> float:
    return (zlib.crc32(site.encode()) % 1000) / 1000


def write_openmetrics(path: Path, model: dict, sites: list[str], start: int, end: int, step: int) -> int:
    """What `model` reads, for `sites`, from `start` to `end` (seconds) every `step`; samples
    written. OpenMetrics wants each metric family's samples together, so family by family."""
    samples, per_family = 0, (end - start) // step + 1
    series = read_series(model)
    with open(path, "w", encoding="utf-8") as out:
        for family in sorted({name for name, *_ in series}):
            out.write(f"# TYPE {family} gauge\n")
            for name, labels, per_site in series:
                if name != family:
                    continue
                for site in sites if per_site else [None]:
                    phase = site_phase(site) if site else 0.5
                    text = ",".join(f'{k}="{v}"' for k, v in sorted({**labels, **({"site": site} if site else {})}.items()))
                    out.writelines(f"{name}{{{text}}} {record_value(name, phase, t)} {t}\n"
                                   for t in range(start, end + 1, step))
                    samples += per_family
        out.write("# EOF\n")
    return samples


def create_blocks(promtool: str, openmetrics: Path, bucket: Path, labels: dict[str, str] = RULER_LABELS) -> list[Path]:
    """promtool's blocks from `openmetrics`, each given Thanos' meta.json section (external
    labels, raw resolution, its source) and left in `bucket` (a filesystem bucket's root)."""
    bucket.mkdir(parents=True, exist_ok=True)
    done = subprocess.run([promtool, "tsdb", "create-blocks-from", "openmetrics", str(openmetrics), str(bucket)],
                          capture_output=True, text=True, timeout=3600)
    if done.returncode != 0:
        raise VVError(f"promtool tsdb create-blocks-from openmetrics {openmetrics}: {done.stderr.strip()[-300:]}")
    blocks = [p for p in bucket.iterdir() if (p / "meta.json").exists()]
    for block in blocks:
        meta = json.loads((block / "meta.json").read_text())
        meta["thanos"] = {"labels": labels, "downsample": {"resolution": 0}, "source": "ruler"}
        (block / "meta.json").write_text(json.dumps(meta, indent=2))
    return blocks


@dataclass
class HistoryStore:
    """A Thanos store gateway over `bucket` and a querier in front of it, on 127.0.0.1."""
    thanos: str
    bucket: Path
    workdir: Path
    procs: dict[str, Process] = field(default_factory=dict)
    query_http: int = 0

    def up(self) -> HistoryStore:
        store_http, store_grpc, query_grpc = free_port(), free_port(), free_port()
        self.query_http = free_port()
        objstore = f"type: FILESYSTEM\nconfig:\n  directory: {self.bucket}\n"
        self._start("store", [self.thanos, "store", f"--data-dir={self.workdir / 'store'}",
                              f"--objstore.config={objstore}", f"--http-address=127.0.0.1:{store_http}",
                              f"--grpc-address=127.0.0.1:{store_grpc}"], f"http://127.0.0.1:{store_http}/-/ready")
        self._start("query", [self.thanos, "query", f"--http-address=127.0.0.1:{self.query_http}",
                              f"--grpc-address=127.0.0.1:{query_grpc}", f"--endpoint=127.0.0.1:{store_grpc}"],
                    f"http://127.0.0.1:{self.query_http}/-/ready")
        return self

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.query_http}"

    def _start(self, name: str, argv: list[str], ready: str) -> None:
        proc = Process(name, argv, self.workdir / "logs" / f"{name}.log").start()
        self.procs[name] = proc
        try:
            wait_http(ready, timeout=300, proc=proc.popen)
        except VVError as exc:
            raise VVError(f"history store: {name} did not start ({exc}); log: {proc.log_path}\n{proc.tail(5)}") from None

    def down(self) -> None:
        for proc in reversed(list(self.procs.values())):
            proc.stop()
        self.procs.clear()


# The preview's page width (vvdash/preview/browser.py's viewport less the grid's margins), on
# Grafana's 24 columns: a panel's maxDataPoints is its width in pixels, as Grafana sends it.
PAGE_WIDTH_PX = 1600 - 32


def panel_requests(model: dict, from_ms: int, to_ms: int) -> list[tuple[str, dict]]:
    """(panel title, the preview query body Grafana's page would send) for every panel, every
    variable at All (allValue .+)."""
    all_ = {v["name"]: {"values": [v.get("allValue") or ".+"], "raw": True}
            for v in model.get("templating", {}).get("list", [])}
    out = []
    for panel in model["panels"]:
        targets = panel.get("targets") or []
        if panel.get("type") == "row" or not targets:
            continue
        width = int(panel["gridPos"]["w"] * PAGE_WIDTH_PX / 24)
        out.append((panel["title"], {"from": from_ms, "to": to_ms, "maxDataPoints": panel.get("maxDataPoints") or width,
                                     "vars": all_, "queries": [
                                         {"refId": t.get("refId", "A"), "expr": t["expr"], "instant": bool(t.get("instant")),
                                          "interval": t.get("interval") or panel.get("interval") or ""}
                                         for t in targets]}))
    return out
