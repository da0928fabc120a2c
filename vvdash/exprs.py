"""PromQL shared by dashboards and alerts, so a panel and its alert read the same number.

Functions take the inventory; thresholds and windows come from it, never from here.
"""

from __future__ import annotations

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


def storage_free_ratio(inv: Inventory) -> str:
    sel = storage_selector(inv)
    return f"node_filesystem_avail_bytes{{{sel}}} / node_filesystem_size_bytes{{{sel}}}"


def predicted_free_bytes(inv: Inventory, horizon: str) -> str:
    """Free bytes `horizon` from now, by a linear fit over the prediction window."""
    sel = storage_selector(inv)
    window = inv.threshold("storage", "predict_window")
    return f"predict_linear(node_filesystem_avail_bytes{{{sel}}}[{window}], {int(duration_seconds(horizon))})"


def storage_filling_up(inv: Inventory, horizon: str) -> str:
    """The disk-exhaustion condition: below the free floor, predicted full within `horizon`, writable."""
    sel = storage_selector(inv)
    floor = inv.threshold("storage", "fill_free_floor_ratio")
    return (
        f"(\n  {storage_free_ratio(inv)} < {floor}\nand\n  {predicted_free_bytes(inv, horizon)} < 0\n"
        f"and\n  node_filesystem_readonly{{{sel}}} == 0\n)"
    )


def seconds_until_full(inv: Inventory) -> str:
    """Time until the storage filesystem is full at the current fill rate (no value while not filling)."""
    sel = storage_selector(inv)
    window = inv.threshold("storage", "predict_window")
    return (f"node_filesystem_avail_bytes{{{sel}}} / "
            f"(-deriv(node_filesystem_avail_bytes{{{sel}}}[{window}]) > 0)")
