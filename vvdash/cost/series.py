"""Series shaped like a running site's, from the metric catalog, written as OpenMetrics.

Per site: one host; every scraped job with its `up`, `scrape_duration_seconds` and
(for processes) process_* series; every catalog metric of the pipeline with the label
values the pipeline's code uses (statuses, stages, reasons, folders, services) and the
fleet shape's DVRs and TVs; histogram buckets from the catalog. Values follow steady
rates with a daily swing, so quantiles and ratios are stable and comparable across queries.

A site running containers (Shape.containers, the compose stack's, which runs cAdvisor) also has
cAdvisor's series for each of them and for a few unnamed cgroups, kept apart from the rest
(`container_series`) so the backfill adds them as a layer on the same blocks.
"""

from __future__ import annotations

import copy
import math
import zlib
from dataclasses import dataclass, field
from itertools import product

import numpy as np

from vvdash import catalog
from vvdash.emit.compose import compose_file
from vvdash.inventory import Inventory
from vvdash.jobs import JOB, PIPELINE_SERVICES, PUSHED_JOBS

DAY = 86400.0
# Part of the backfill cache key: bump when the generated series or values change.
SERIES_VERSION = 2

# Label values the pipeline's code and exporters use (pipeline/*.py, storage_exporter FOLDERS).
STATUS = {
    "vv_videos_processed_total": ("success", "failure", "corrupted"),
    "vv_video_processing_duration_seconds": ("success", "failure", "corrupted"),
    "vv_scan_video_processed_total": ("success", "failure", "corrupted"),
    "vv_summarize_scene_processed_total": ("success", "failure"),
    "vv_logline_generated_total": ("success", "failure", "duplicate"),
}
VALUES = {
    "status": ("success", "failure"),
    "dry_run": ("false", "true"),
    "stage": ("scan", "summarize", "logline"),
    "reason": ("unreadable", "empty", "symlink"),
    "object_type": ("person", "car", "truck", "bicycle", "dog"),
    "backend": ("builtin", "bitnet"),
    "service": tuple(s for s in PIPELINE_SERVICES if s != "self_monitor"),
    "folder": ("input", "processing", "processed", "corrupted", "analytics", "summaries", "loglines", "tmp",
               "logs", "playlists", "archives"),
    "gpu": (),
    "model_name": ("vv-builtin-summarizer",),
    "model_version": ("1",),
}
TV_REASONS = ("unsigned", "tampered", "invalid")
MODES = ("idle", "user", "system", "iowait", "irq", "softirq", "steal", "nice")
FILESYSTEMS = (("/dev/vda1", "ext4", "/"), ("/dev/vdb1", "ext4", "/var/lib/vv"), ("tmpfs", "tmpfs", "/run"))
DISKS = ("vda", "vdb")
NICS = ("eth0", "lo")
# Scraped jobs that expose process_* (Python services and Go exporters/servers).
PROCESS_JOBS = (*PIPELINE_SERVICES, "node_exporter", "blackbox_exporter", "pushgateway", "prometheus", "alertmanager")
PYTHON_GC = (("python_gc_objects_collected_total", "counter"), ("python_gc_objects_uncollectable_total", "counter"),
             ("python_gc_collections_total", "counter"))


@dataclass(frozen=True)
class Shape:
    """The fleet: how many sites, and what each has."""

    sites: int = 1
    dvrs: int = 4
    tvs: int = 3
    cpus: int = 4
    scrape_s: float = 15.0
    containers: tuple[str, ...] = ()     # names cAdvisor reports; none: no cAdvisor

    def site_names(self) -> list[str]:
        return [f"site-{i + 1:02d}" for i in range(self.sites)]


@dataclass
class Series:
    name: str
    labels: dict
    kind: str               # counter | gauge | timestamp
    rate: float = 0.0       # counters: per second; gauges: level
    swing: float = 0.2      # daily relative swing
    phase: float = 0.0
    text: str = field(init=False, default="")

    def __post_init__(self):
        inner = ",".join(f'{k}="{v}"' for k, v in sorted(self.labels.items()))
        self.text = f"{self.name}{{{inner}}} "


def _instance(host: str, component: str) -> str:
    return f"{host}:{9300 + (sorted(JOB).index(component) if component in JOB else 0)}"


def _lognormal_cdf(le: float, median: float, sigma: float = 0.6) -> float:
    if math.isinf(le):
        return 1.0
    return 0.5 * (1 + math.erf((math.log(le) - math.log(median)) / (sigma * math.sqrt(2))))


def _rate_for(metric: str, labels: dict) -> float:
    """Per-second rates of a site's pipeline: ~0.1 videos/s, few failures."""
    status = labels.get("status")
    base = 0.1
    if "frames" in metric:
        base = 20.0
    elif "objects" in metric or "faces" in metric:
        base = 0.5
    elif "inferences" in metric:
        base = 0.3
    elif "segments" in metric or "playlists" in metric or "loglines" in metric:
        base = 0.1
    elif "errors" in metric or "restarts" in metric or "unhealthy" in metric:
        base = 0.002
    elif "bytes" in metric:
        base = 2e5
    elif metric.startswith(("vv_cleanup", "vv_log_exporter")):
        base = 0.001
    if status in ("failure", "corrupted", "duplicate") or labels.get("dry_run") == "true":
        base *= 0.02
    return base


def _histogram(metric, labels: dict, median: float) -> list[Series]:
    rate = _rate_for(metric.name, labels)
    out = []
    for le in (*metric.buckets, math.inf):
        cdf = _lognormal_cdf(le, median)
        out.append(Series(metric.name + "_bucket", {**labels, "le": "+Inf" if math.isinf(le) else f"{le:g}"},
                          "counter", rate * cdf))
    out.append(Series(metric.name + "_count", labels, "counter", rate))
    out.append(Series(metric.name + "_sum", labels, "counter", rate * median * 1.2))
    return out


def _label_sets(metric, shape: Shape, dvrs: list[str], tvs: list[str]) -> list[dict]:
    choices = []
    for label in metric.labels:
        if label == "dvr":
            values: tuple[str, ...] = tuple(dvrs)
        elif label == "tv_id":
            values = tuple(tvs)
        elif label == "status":
            values = STATUS.get(metric.name, VALUES["status"])
        elif label == "reason" and metric.component == "tv_scheduler":
            values = TV_REASONS
        else:
            values = VALUES.get(label, ("a",))
        choices.append([(label, v) for v in values])
    return [dict(combo) for combo in product(*choices)]


def site_series(site: str, shape: Shape) -> list[Series]:
    """Every series one site's Prometheus holds for the catalog's pipeline and the exporters vvdash reads."""
    cat = catalog.load()
    host = f"{site}-host"
    dvrs = [f"dvr{i + 1}" for i in range(shape.dvrs)]
    tvs = [f"tv{i + 1}" for i in range(shape.tvs)]
    out: list[Series] = []

    def target(component: str) -> dict:
        return {"site": site, "job": JOB[component], "instance": _instance(host, component)}

    for metric in cat:
        if metric.exporter or metric.component not in JOB:
            continue
        base = target(metric.component)
        if metric.pushed:
            base = {"site": site, "job": JOB[metric.component], "instance": host}
        for labels in _label_sets(metric, shape, dvrs, tvs):
            labels = {**base, **labels}
            if metric.type == "histogram":
                median = 0.05 if "connect" in metric.name else 0.2 if "generation" in metric.name else 2.0
                if metric.name == "vv_video_processing_duration_seconds":
                    median = 8.0
                out += _histogram(metric, labels, median)
            elif metric.type == "counter":
                out.append(Series(metric.name, labels, "counter", _rate_for(metric.name, labels)))
            elif metric.name.endswith("_timestamp_seconds"):
                out.append(Series(metric.name, labels, "timestamp", 30.0))
            else:
                level = 1.0 if metric.name.endswith(("_status", "_info", "_up")) else \
                    1e9 if "bytes" in metric.name else 5.0
                if metric.name.endswith("_given_up"):
                    level = 0.0
                out.append(Series(metric.name, labels, "gauge", level, swing=0.0 if level <= 1 else 0.2))
    # Scrape targets and their process metrics.
    scraped = [*PIPELINE_SERVICES, "node_exporter", "blackbox_exporter", "pushgateway", "prometheus", "alertmanager"]
    for component in scraped:
        t = target(component)
        out.append(Series("up", t, "gauge", 1.0, swing=0.0))
        out.append(Series("scrape_duration_seconds", t, "gauge", 0.01))
    for component in PROCESS_JOBS:
        t = target(component)
        out += [Series("process_cpu_seconds_total", t, "counter", 0.05),
                Series("process_resident_memory_bytes", t, "gauge", 8e7),
                Series("process_virtual_memory_bytes", t, "gauge", 4e8, swing=0.0),
                Series("process_open_fds", t, "gauge", 20.0),
                Series("process_max_fds", t, "gauge", 1024.0, swing=0.0),
                Series("process_start_time_seconds", t, "gauge", 1.7e9, swing=0.0)]
        if component in PIPELINE_SERVICES:
            for (name, kind), gen in product(PYTHON_GC, ("0", "1", "2")):
                out.append(Series(name, {**t, "generation": gen}, kind, 1.0 / (1 + int(gen))))
    for dvr in dvrs:
        t = {"site": site, "job": JOB["blackbox_exporter"], "instance": f"{site}-{dvr}:8554", "dvr": dvr}
        out += [Series("up", t, "gauge", 1.0, swing=0.0), Series("probe_success", t, "gauge", 1.0, swing=0.0),
                Series("probe_duration_seconds", t, "gauge", 0.05),
                Series("probe_http_status_code", t, "gauge", 200.0, swing=0.0)]
    for job in PUSHED_JOBS:
        t = {"site": site, "job": JOB[job], "instance": host}
        out += [Series("push_time_seconds", t, "timestamp", 600.0),
                Series("push_failure_time_seconds", t, "gauge", 1.6e9, swing=0.0)]
    node = target("node_exporter")
    for cpu, mode in product(range(shape.cpus), MODES):
        share = 0.7 if mode == "idle" else 0.3 / (len(MODES) - 1)
        out.append(Series("node_cpu_seconds_total", {**node, "cpu": str(cpu), "mode": mode}, "counter", share))
    for name in ("node_load1", "node_load5", "node_load15"):
        out.append(Series(name, node, "gauge", 1.2))
    out += [Series("node_memory_MemAvailable_bytes", node, "gauge", 6e9),
            Series("node_memory_MemTotal_bytes", node, "gauge", 1.6e10, swing=0.0)]
    for device, fstype, mount in FILESYSTEMS:
        fs = {**node, "device": device, "fstype": fstype, "mountpoint": mount}
        out += [Series("node_filesystem_size_bytes", fs, "gauge", 5e11, swing=0.0),
                Series("node_filesystem_avail_bytes", fs, "gauge", 2e11, swing=0.01),
                Series("node_filesystem_readonly", fs, "gauge", 0.0, swing=0.0)]
    for disk in DISKS:
        d = {**node, "device": disk}
        out += [Series("node_disk_read_bytes_total", d, "counter", 5e5),
                Series("node_disk_written_bytes_total", d, "counter", 2e6),
                Series("node_disk_io_time_seconds_total", d, "counter", 0.1)]
    for nic in NICS:
        n = {**node, "device": nic}
        out += [Series("node_network_receive_bytes_total", n, "counter", 1e6),
                Series("node_network_transmit_bytes_total", n, "counter", 5e5)]
    for s in out:
        s.phase = _phase(s) if s.swing else 0.0
    return out


# cAdvisor's per-container series: (metric, kind, per-second rate or level, extra labels).
CONTAINER_METRICS: tuple[tuple[str, str, float, dict[str, str]], ...] = (
    ("container_cpu_usage_seconds_total", "counter", 0.05, {}),
    ("container_cpu_user_seconds_total", "counter", 0.03, {}),
    ("container_cpu_system_seconds_total", "counter", 0.02, {}),
    ("container_memory_working_set_bytes", "gauge", 2e8, {}),
    ("container_memory_usage_bytes", "gauge", 3e8, {}),
    ("container_memory_rss", "gauge", 1.5e8, {}),
    ("container_memory_cache", "gauge", 1e8, {}),
    ("container_spec_memory_limit_bytes", "gauge", 0.0, {}),
    ("container_network_receive_bytes_total", "counter", 5e4, {"interface": "eth0"}),
    ("container_network_transmit_bytes_total", "counter", 2e4, {"interface": "eth0"}),
    ("container_fs_reads_bytes_total", "counter", 1e4, {"device": "/dev/vda"}),
    ("container_fs_writes_bytes_total", "counter", 5e4, {"device": "/dev/vda"}),
    ("container_last_seen", "timestamp", 15.0, {}),
)
# cgroups without a container (name=""): cAdvisor reports their CPU and memory too.
UNNAMED_CGROUPS = ("/", "/system.slice", "/system.slice/docker.service")
RESTART_EVERY_S = 6 * 3600      # one container restarts this often; the others run the whole time


def compose_containers(inv: Inventory) -> tuple[str, ...]:
    """The long-running containers of the compose stack vvdash generates, as cAdvisor names them."""
    doc = compose_file(inv)
    return tuple(svc.get("container_name") or f"{doc['name']}-{name}-1"
                 for name, svc in doc["services"].items() if svc.get("restart") != "no")


def cadvisor_dashboards(inv: Inventory) -> dict[str, dict]:
    """The dashboards built for `inv` with cAdvisor enabled, as a site running the compose stack has
    them (vv-host then draws containers instead of processes), by uid."""
    from vvdash import definitions

    data = copy.deepcopy(dict(inv))
    data["services"]["cadvisor"]["enabled"] = True
    return {d.model["uid"]: d.model for d in definitions.load_dashboards(Inventory(data, inv.path))}


def container_series(site: str, shape: Shape) -> list[Series]:
    """cAdvisor's series at one site: every metric per named container, CPU and memory per unnamed cgroup."""
    base = {"site": site, "job": JOB["cadvisor"], "instance": _instance(f"{site}-host", "cadvisor")}
    out: list[Series] = []
    for i, name in enumerate(shape.containers):
        labels = {**base, "name": name, "id": f"/system.slice/docker-{zlib.crc32(name.encode()):08x}.scope",
                  "image": f"{name}:latest", "container_label_com_docker_compose_service": name}
        for metric, kind, value, extra in CONTAINER_METRICS:
            out.append(Series(metric, {**labels, **extra}, kind, value, swing=0.2 if kind != "timestamp" else 0.0))
        start = Series("container_start_time_seconds", labels, "timestamp", RESTART_EVERY_S) if i == 0 else \
            Series("container_start_time_seconds", labels, "gauge", 1.7e9, swing=0.0)
        out.append(start)
    if shape.containers:
        for cgroup in UNNAMED_CGROUPS:
            labels = {**base, "name": "", "id": cgroup, "image": ""}
            out += [Series("container_cpu_usage_seconds_total", labels, "counter", 0.5),
                    Series("container_memory_working_set_bytes", labels, "gauge", 4e9),
                    Series("container_memory_usage_bytes", labels, "gauge", 6e9)]
    for s in out:
        s.phase = _phase(s) if s.swing else 0.0
    return out


def fleet_container_series(shape: Shape) -> list[Series]:
    return [s for site in shape.site_names() for s in container_series(site, shape)]


def _phase(series: Series) -> float:
    """A stable daily phase per series; a histogram's buckets, _sum and _count share theirs (so the
    buckets stay cumulative at every instant)."""
    base = series.name.removesuffix("_bucket").removesuffix("_count").removesuffix("_sum")
    key = base + repr(sorted((k, v) for k, v in series.labels.items() if k != "le"))
    return zlib.crc32(key.encode()) % 1000 / 1000 * 2 * math.pi


def fleet_series(shape: Shape) -> list[Series]:
    return [s for site in shape.site_names() for s in site_series(site, shape)]


def _values(series: Series, times: np.ndarray, origin: float) -> np.ndarray:
    """Values at `times`: counters integrate a rate with a daily swing from `origin`; gauges swing."""
    if series.kind == "counter":
        # integral of rate * (1 + swing * sin(w t + phase)) from origin
        w = 2 * math.pi / DAY
        t = times - origin
        integral = t + series.swing / w * (np.cos(series.phase) - np.cos(w * t + series.phase))
        return series.rate * integral
    if series.kind == "timestamp":
        return np.floor((times - series.rate) / series.rate) * series.rate
    return series.rate * (1 + series.swing * np.sin(2 * math.pi * times / DAY + series.phase))


def write_openmetrics(out, series: list[Series], start: float, end: float, step: float, origin: float) -> int:
    """Samples of `series` in [start, end) every `step` seconds, as OpenMetrics text; returns lines written.

    Each series' samples are one run of lines (a series in time order), which promtool's
    backfill reads fine without # TYPE lines (every family is `unknown`).
    """
    times = np.arange(start, end, step, dtype=np.float64)
    if not len(times):
        return 0
    stamps = [f" {t:.0f}\n" for t in times]
    count = 0
    for s in series:
        values = _values(s, times, origin)
        text = s.text
        out.write("".join([text + v + ts for v, ts in zip(np.char.mod("%.10g", values).tolist(), stamps, strict=True)]))
        count += len(times)
    return count
