"""Host and containers: node_exporter, cAdvisor, and per-process metrics where there are no containers."""

from dashboards._common import (
    COPIED_RATE, DOWNSAMPLED_MAX, RECORDED, RECORDED_RATE, Scope, above, build, downsampled, jobs, q, row, table, timeseries,
)
from shared import records as R
from vvdash.jobs import PIPELINE_SERVICES
from vvdash.model.dashboards import Unit

# Pseudo and container filesystems and virtual network devices are noise here.
DEVICE_FILTER = 'device!~"lo|veth.*|docker.*|br-.*|virbr.*"'
DISK_FILTER = 'device!~"loop.*|ram.*|sr.*"'
IDLE = 'mode="idle"'
# Said by every container panel (Scope.per_container).
FLEET_CONTAINERS = ("With the site and instance variables on All, each line is the containers of that name summed "
                    "over the sites, from the fleet rollup of those records.")


def _panels(inv, sc: Scope) -> list:
    cpu_busy = f"1 - avg by (instance) ({sc.copy_over_step(R.NODE_CPU_IDLE_RATIO)})"
    # process_* is exposed by every job: only this dashboard's services are drawn.
    own = sc.own_jobs

    def per_device(metric: str, device_filter: str, sign: str = "") -> str:
        return f"{sign}sum by (instance, device) ({sc.copy_over_step(R.NODE_DEVICE_RATE[metric], device_filter)})"

    def in_out(title: str, description: str, device_filter: str, into: tuple[str, str], out: tuple[str, str]):
        """Bytes per second per device, `into` drawn below the axis: (metric, legend word) each."""
        return downsampled(timeseries(title, description + " " + COPIED_RATE, Unit.BYTES_PER_SECOND,
                                      [q(per_device(into[0], device_filter, "-"), f"{{{{device}}}} {into[1]}"),
                                       q(per_device(out[0], device_filter), f"{{{{device}}}} {out[1]}")], w=8))

    host = [
        row("Host (node_exporter)"),
        downsampled(timeseries("CPU busy",
                   "Share of CPU time not idle, averaged over the host's cores. " + COPIED_RATE,
                   Unit.PERCENT_UNIT, [q(cpu_busy, "{{instance}}")], thresholds=above(0.8, 0.95), min=0, max=1, w=8)),
        downsampled(timeseries("Load average",
                   "1, 5 and 15 minute load averages. " + DOWNSAMPLED_MAX,
                   Unit.SHORT, [q(sc.over_step("node_load1"), "{{instance}} 1m"),
                             q(sc.over_step("node_load5"), "{{instance}} 5m"),
                             q(sc.over_step("node_load15"), "{{instance}} 15m")], min=0, w=8)),
        downsampled(timeseries("Memory used",
                   "Share of memory not available to new processes (MemAvailable). " + DOWNSAMPLED_MAX
                   + " (Memory used is highest where MemAvailable is lowest.)",
                   Unit.PERCENT_UNIT, [q(f"1 - {sc.over_step('node_memory_MemAvailable_bytes')} / "
                                     f"{sc.over_step('node_memory_MemTotal_bytes')}", "{{instance}}")],
                   thresholds=above(0.85, 0.95), min=0, max=1, w=8)),
        in_out("Disk I/O", "Bytes read (negative: below the axis) and written per second, per device.",
               DISK_FILTER, ("node_disk_read_bytes_total", "read"), ("node_disk_written_bytes_total", "write")),
        downsampled(timeseries("Disk busy",
                   "Share of time each device was doing I/O. " + COPIED_RATE,
                   Unit.PERCENT_UNIT, [q(per_device("node_disk_io_time_seconds_total", DISK_FILTER),
                                     "{{device}}")], thresholds=above(0.8, 0.95), min=0, w=8)),
        in_out("Network", "Bytes received (negative) and transmitted per second, per interface.",
               DEVICE_FILTER, ("node_network_receive_bytes_total", "rx"), ("node_network_transmit_bytes_total", "tx")),
    ]
    self_monitor = timeseries(
        "Restarts triggered by self_monitor", "Restarts self_monitor started per second, by service. " + RECORDED,
        Unit.OPS, [q(f"sum by (service) ({sc.rec(R.counter_rate('vv_self_monitor_container_restarts_triggered_total'))})",
                     "{{service}}")], bars=True, w=8)
    open_files = downsampled(timeseries(
        "Process open files", "Open file descriptors as a share of each process's limit. " + DOWNSAMPLED_MAX,
        Unit.PERCENT_UNIT, [q(f"max_over_time({sc.rec(R.OPEN_FILES_RATIO, own)}[$__interval])", "{{job}} {{instance}}")],
        thresholds=above(0.8, 0.95), min=0, w=8))
    uptime = table(
        "Process uptime", "Time since each service's process started; a short uptime is a recent restart.",
        Unit.SECONDS, [q(f"time() - max by (job, instance) ({sc.m('process_start_time_seconds', own)})", instant=True,
                         fmt="table")], w=12)
    # Where cAdvisor runs (the compose stack) each service is a container: CPU, memory, network and
    # disk are drawn per container, and of the processes' own metrics what cAdvisor does not see.
    # Elsewhere each service is a process, and its process_* metrics are all there is.
    if inv.service("cadvisor")["enabled"]:
        return [*host, row("Containers (cAdvisor)"), *_containers(inv, sc), self_monitor,
                row("Processes (what cAdvisor does not see)"), open_files, uptime]
    return [
        *host,
        row("Processes"),
        downsampled(timeseries("Process CPU",
                   "CPU seconds per second of each service's process, from its own process_* metrics. " + COPIED_RATE,
                   Unit.PERCENT_UNIT, [q(f"sum by (job, instance) ({sc.copy_over_step(R.PROCESS_CPU_RATE, own)})",
                                     "{{job}} {{instance}}")], min=0, w=8)),
        downsampled(timeseries("Process memory",
                   "Resident memory of each service's process. " + DOWNSAMPLED_MAX,
                   Unit.BYTES, [q(f"sum by (job, instance) ({sc.over_step('process_resident_memory_bytes', own)})",
                               "{{job}} {{instance}}")], min=0, w=8)),
        open_files,
        uptime,
        downsampled(timeseries("Process virtual memory",
                   "Virtual memory of each service's process (address space, not usage). " + DOWNSAMPLED_MAX,
                   Unit.BYTES, [q(f"sum by (job, instance) ({sc.over_step('process_virtual_memory_bytes', own)})",
                               "{{job}} {{instance}}")], min=0, w=12)),
        self_monitor,
    ]


def _containers(inv, sc: Scope) -> list:
    def per_container(metric: str, sign: str = "") -> str:
        return f"{sign}sum by (name) ({sc.per_container(metric)})"

    def in_out(title: str, description: str, into: tuple[str, str], out: tuple[str, str]):
        """Bytes per second per container, `into` drawn below the axis: (metric, legend word) each."""
        return downsampled(timeseries(title, f"{description} {RECORDED_RATE} {FLEET_CONTAINERS}", Unit.BYTES_PER_SECOND,
                                      [q(per_container(into[0], "-"), f"{{{{name}}}} {into[1]}"),
                                       q(per_container(out[0]), f"{{{{name}}}} {out[1]}")], w=8))

    return [
        downsampled(timeseries("Container CPU",
                   "CPU seconds per second per container (1 = one core). " + RECORDED_RATE + " " + FLEET_CONTAINERS,
                   Unit.PERCENT_UNIT, [q(per_container("container_cpu_usage_seconds_total"), "{{name}}")],
                   min=0, w=8)),
        downsampled(timeseries("Container memory",
                   "Working set per container, what the OOM killer sees. " + DOWNSAMPLED_MAX + " " + FLEET_CONTAINERS,
                   Unit.BYTES, [q(per_container("container_memory_working_set_bytes"), "{{name}}"),
                                q(per_container("container_memory_usage_bytes"), "{{name}} incl. cache")],
                   min=0, w=8)),
        in_out("Container network", "Bytes received (negative) and transmitted per second per container.",
               ("container_network_receive_bytes_total", "rx"), ("container_network_transmit_bytes_total", "tx")),
        in_out("Container filesystem I/O", "Bytes read (negative) and written per second per container.",
               ("container_fs_reads_bytes_total", "read"), ("container_fs_writes_bytes_total", "write")),
        table("Container restarts",
              "Container starts over the time range (changes of the start time, counted per 5-minute window by "
              "a recording rule, so the newest 5 minutes count at its next evaluation). Red at "
              "platform.restart_loop_count. " + FLEET_CONTAINERS,
              Unit.SHORT, [q(f"sum by (name) ({sc.per_container('container_start_time_seconds', '$__range')})",
                          instant=True, fmt="table")],
              thresholds=above(None, inv.thresholds("platform")("restart_loop_count")), w=8),
    ]


def dashboard(inv):
    sc = Scope(jobs("node_exporter", "cadvisor", *PIPELINE_SERVICES))
    return build(
        inv, module=__name__, title="VV / Host and containers",
        description="Host CPU, memory, disk and network from node_exporter; where the inventory enables cAdvisor, "
                    "CPU, memory, network and disk per container; elsewhere per service process.",
        tags=("host", "containers"), scope=sc, panels=_panels(inv, sc))
