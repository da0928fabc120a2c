"""Scenarios for VVStorageSeriesMissing (rules/storage.py): node_exporter up without a filesystem
at the site's storage_mountpoint (a wrong mount point, an overlay root), held for missing_for."""

from __future__ import annotations

from vvdash.scenarios import Firing, Scenario, Series, fires, gauge, quiet, steps

RULE_FILES = ("storage",)
T = "thresholds.storage."


def scenarios(ctx):
    clock = ctx.clock
    alert = "VVStorageSeriesMissing"
    hold = ctx.seconds(T + "missing_for")
    keys = (T + "missing_for",)
    host = ctx.site["hosts"][0]["address"]
    node = {"job": "node", "instance": f"{host}:{ctx.inv.service('node_exporter')['port']}", "site": ctx.site["name"]}
    mount = ctx.site.get("storage_mountpoint", "/")
    up = Series("up", node, gauge(1))

    def fs(mountpoint: str, fstype: str = "ext4", value=None):
        return Series("node_filesystem_avail_bytes", {**node, "mountpoint": mountpoint, "fstype": fstype,
                                                      "device": "/dev/sda1"}, value or gauge(100e9))

    elsewhere = "/boot" if mount != "/boot" else "/srv"
    first = clock.eval_after(clock.offset)            # the first evaluation with a sample
    edge = clock.fires_at(first, hold)
    firing = Firing({"site": ctx.site["name"]}, 1)
    gone = clock.sample_after(2 * clock.evaluation)
    return [
        Scenario(alert, "for edge", f"only {elsewhere} and an overlay at {mount}", keys,
                 (up, fs(elsewhere), fs(mount, "overlay")),
                 (quiet(edge - clock.evaluation, alert, "still pending"), fires(edge, alert, firing))),
        Scenario(alert, "near miss", f"the filesystem at {mount} is there", keys, (up, fs(mount), fs(elsewhere)),
                 (quiet(edge, alert), quiet(clock.eval_at_or_after(edge + hold), alert))),
        Scenario(alert, "near miss", "node_exporter down (VVTargetDown's case)", keys,
                 (Series("up", node, gauge(0)),), (quiet(edge, alert),)),
        Scenario(alert, "absent data", f"the series at {mount} ends at {gone:g}s", keys,
                 (up, fs(mount, value=steps((0, 100e9), (gone, None)))),
                 (quiet(edge, alert),)),
    ]
