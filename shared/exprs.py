"""PromQL shared by dashboards and alerts, so a panel and its alert read the same number.

Functions take the inventory; thresholds and windows come from it, never from here.
"""

from __future__ import annotations

from shared import records
from vvdash.inventory import Inventory, duration_seconds
from vvdash.jobs import selector
from vvdash.quoting import promql_regex_union, promql_string

# Filesystems that never hold video (node-mixin's usual filter); also for panels listing every mount.
FSTYPE_FILTER = 'fstype!~"tmpfs|ramfs|overlay|squashfs|nsfs|fuse.lxcfs"'


def storage_selector(inv: Inventory) -> str:
    """Matchers for the filesystems holding each site's VIDEO_STORAGE_ROOT."""
    mounts = sorted({site.get("storage_mountpoint", "/") for site in inv.sites})
    mount = (f"mountpoint={promql_string(mounts[0])}" if len(mounts) == 1
             else f"mountpoint=~{promql_regex_union(mounts)}")
    return f'{selector("node_exporter")}, {mount}, {FSTYPE_FILTER}'


def storage_series_missing(inv: Inventory) -> str:
    """Sites whose node_exporter is up but reports no storage filesystem: a wrong
    storage_mountpoint, or a root on a filesystem type the filter drops (overlay). Either way the
    storage alerts would have nothing to read and stay silent. Sites are grouped by their mount
    point, so one site's mount point never stands in for another's."""
    node = selector("node_exporter")
    by_mount: dict[str, list[str]] = {}
    for site in inv.sites:
        by_mount.setdefault(site.get("storage_mountpoint", "/"), []).append(site["name"])
    parts = []
    for mount, sites in sorted(by_mount.items()):
        only = "" if len(by_mount) == 1 else (
            f', site="{sites[0]}"' if len(sites) == 1 else f', site=~"{"|".join(sites)}"')
        parts.append(f"count by (site) (up{{{node}{only}}} == 1)\nunless on (site)\n"
                     f"count by (site) (node_filesystem_avail_bytes{{{node}{only}, mountpoint=\"{mount}\", "
                     f"{FSTYPE_FILTER}}})")
    return parts[0] if len(parts) == 1 else "\nor\n".join(f"(\n{p}\n)" for p in parts)


def storage_free_ratio(inv: Inventory) -> str:
    sel = storage_selector(inv)
    return f"node_filesystem_avail_bytes{{{sel}}} / node_filesystem_size_bytes{{{sel}}}"


def predicted_free_bytes(inv: Inventory, horizon: str) -> str:
    """Free bytes `horizon` from now, by a linear fit over the prediction window."""
    sel = storage_selector(inv)
    window = inv.thresholds("storage")("predict_window")
    return f"predict_linear(node_filesystem_avail_bytes{{{sel}}}[{window}], {int(duration_seconds(horizon))})"


def storage_filling_up(inv: Inventory, horizon: str, floor_key: str = "fill_free_floor_ratio") -> str:
    """The disk-exhaustion condition: below the free floor (`floor_key` of thresholds.storage),
    predicted full within `horizon`, writable."""
    sel = storage_selector(inv)
    floor = inv.thresholds("storage")(floor_key)
    return (
        f"(\n  {storage_free_ratio(inv)} < {floor}\nand\n  {predicted_free_bytes(inv, horizon)} < 0\n"
        f"and\n  node_filesystem_readonly{{{sel}}} == 0\n)"
    )


def seconds_until_full(inv: Inventory) -> str:
    """Time until the storage filesystem is full at the current fill rate (no value while not filling)."""
    sel = storage_selector(inv)
    window = inv.thresholds("storage")("predict_window")
    return (f"node_filesystem_avail_bytes{{{sel}}} / "
            f"(-deriv(node_filesystem_avail_bytes{{{sel}}}[{window}]) > 0)")


def seconds_since_success(metric: str, job: str) -> str:
    """Seconds since each site's `job` last succeeded (`metric`: its last-success timestamp), as the
    job's stale alert judges it; a panel shows the stalest of the sites selected (`max(...)`)."""
    return f"time() - max by (site, job) ({metric}{{{selector(job)}}})"


def input_queue() -> str:
    """Videos waiting in each site's input/: the backlog and stall alerts, and the queue panels."""
    return f"max by (site, job) (vv_videos_in_input_queue{{{selector('orchestrator')}}})"


def dvr_connected() -> str:
    """1 while agent_dvr is connected to the DVR, 0 while not, per site and DVR."""
    return f"max by (site, job, dvr) (vv_agent_dvr_connection_status{{{selector('agent_dvr')}}})"


def seconds_since_segment() -> str:
    """Seconds since agent_dvr last wrote a segment of the DVR. A zero timestamp means no segment
    and no connection yet: no value, rather than the time since 1970."""
    return (f"time() - max by (site, job, dvr) "
            f"(vv_agent_dvr_last_segment_timestamp_seconds{{{selector('agent_dvr')}}} > 0)")


DVR_CONNECTION_ERRORS_RATE = records.counter_rate("vv_agent_dvr_connection_errors_total")


def dvr_connection_errors_per_minute(rate: str = f"{DVR_CONNECTION_ERRORS_RATE}{{{selector('agent_dvr')}}}",
                                     by: str = "site, job, dvr") -> str:
    """Connection errors a minute per DVR, from the recorded rate: the connection-errors alert
    (per site) and its panel, which passes the record with its matchers (Scope.rec) and sums by dvr."""
    return f"sum by ({by}) ({rate}) * 60"
