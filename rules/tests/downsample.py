"""Scenarios for the downsampled records (rules/downsample.py).

A 0/1 health gauge with one failed scrape: its min record is 0 while that sample is in the
window and 1 once it has left it, so a panel reading the record shows a one-scrape outage. A level
with one high sample: its max record holds the peak for one window. A pushed counter growing
steadily: its increase record is the window's increase. Free space falling 1,000 bytes a second:
the hourly fit is exact. One sample of many open files: the open-files share holds it for one
window. Steady counters and a folder growing steadily: each 5-minute copy of a recorded rate or fit
is the original's exact value. Steady container counters and levels with one peak: each
container's rate or highest level (none for a cgroup without a container name), and the fleet
rollup's sum over two instances. Container restarts: each start counts in the one window that holds
its first sample, also a start right after the window before ends and a container new in the window.
"""

from __future__ import annotations

from shared import records as R
from vvdash import catalog
from vvdash.inventory import duration_seconds
from vvdash.scenarios import ExprCheck, Scenario, Series, close, counter, promql, seconds, steps

RULE_FILES = ("downsample",)
W = seconds(R.DOWNSAMPLE_WINDOW)
BASE = {"min": 1.0, "max": 5.0}
ODD = {"min": 0.0, "max": 9.0}       # the one sample the record must not lose


def _sel(metric: str, /, **matchers) -> str:
    return metric + "{" + ", ".join(f'{k}="{v}"' for k, v in matchers.items()) + "}"


def _labels(ctx, metric: str, component: str | None, extra: str) -> dict:
    labels = ctx.labels(component or "orchestrator")
    if extra == "FSTYPE":
        labels.update(device="/dev/sda1", fstype="ext4", mountpoint=ctx.site.get("storage_mountpoint", "/"))
    return labels


def _container(name: str) -> dict:
    """cAdvisor's labels of a named container (a cgroup without a container has name="")."""
    return {"name": name, "id": f"/docker/{name}-id", "image": f"{name}:latest"}


def _gauges(ctx, reduction: str) -> list[Scenario]:
    clock = ctx.clock
    odd_at = clock.sample_after(3 * W)
    back = odd_at + clock.step
    inside, after = clock.eval_after(odd_at), clock.eval_after(odd_at + W)
    series, checks = [], []
    for metric, (how, component, extra) in R.DOWNSAMPLED.items():
        if how != reduction:
            continue
        labels = _labels(ctx, metric, component, extra)
        series.append(Series(metric, labels, steps((0, BASE[how]), (odd_at, ODD[how]), (back, BASE[how]))))
        record = _sel(R.downsampled(metric), site=labels["site"], job=labels["job"])
        checks += [close(inside, record, labels, ODD[how], why="the one odd sample is in the window"),
                   close(after, record, labels, BASE[how], why="the odd sample has left the window")]
    word = "lowest" if reduction == "min" else "highest"
    return [Scenario(R.downsampled(next(m for m, v in R.DOWNSAMPLED.items() if v[0] == reduction)), "expression",
                     f"one sample off the steady value is the {word} of its window, and only of it", (),
                     tuple(series), tuple(checks))]


def _counts(ctx) -> list[Scenario]:
    cat = catalog.load()
    at = ctx.clock.eval_after(3 * W)
    series, checks = [], []
    for i, (metric, labels) in enumerate(R.COUNTED.items()):
        target = ctx.labels(cat[metric].component, **{label: f"{label}-1" for label in labels})
        s = Series(metric, target, counter(0.01 * (i + 1)))
        series.append(s)
        checks.append(close(at, _sel(R.counted(metric), site=target["site"]), target,
                            promql.increase(s, ctx.clock, at, W), rel=1e-6))
    return [Scenario(R.counted("vv_cleanup_runs_total"), "expression",
                     "each pushed counter's increase over the window", (), tuple(series), tuple(checks))]


def _storage_deriv(ctx) -> list[Scenario]:
    labels = {**ctx.labels("node_exporter"), "device": "/dev/sda1", "fstype": "ext4",
              "mountpoint": ctx.site.get("storage_mountpoint", "/")}
    at = ctx.clock.eval_after(3600 + ctx.clock.step)
    series = (Series("node_filesystem_avail_bytes", labels, lambda t: 1e9 - 1000.0 * t),)
    return [Scenario(R.STORAGE_FREE_DERIV, "expression", "free space falling 1,000 bytes a second", (), series,
                     (close(at, R.STORAGE_FREE_DERIV, labels, -1000.0, rel=1e-6),))]


def _open_files(ctx) -> list[Scenario]:
    clock = ctx.clock
    odd_at = clock.sample_after(3 * W)
    inside, after = clock.eval_after(odd_at), clock.eval_after(odd_at + W)
    labels = ctx.labels("summarize_scene")
    series = (Series("process_open_fds", labels, steps((0, 20.0), (odd_at, 900.0), (odd_at + clock.step, 20.0))),
              Series("process_max_fds", labels, steps((0, 1024.0))))
    checks = (close(inside, R.OPEN_FILES_RATIO, labels, 900.0 / 1024, why="the peak is in the window"),
              close(after, R.OPEN_FILES_RATIO, labels, 20.0 / 1024, why="the peak has left the window"))
    return [Scenario(R.OPEN_FILES_RATIO, "expression", "one sample of many open files is the window's highest share",
                     (), series, checks)]


def _copies(ctx) -> list[Scenario]:
    """Inputs whose recorded value is known exactly, one per COPIED record (a test fails on a copy left out)."""
    at = ctx.clock.eval_after(3600 + ctx.clock.step)       # the growth fit reads an hour
    node = ctx.labels("node_exporter")
    proc = ctx.labels("summarize_scene")
    store = ctx.labels("storage_exporter", folder="processed")
    series = [Series("process_cpu_seconds_total", proc, counter(0.2)),
              Series("node_cpu_seconds_total", {**node, "cpu": "0", "mode": "idle"}, counter(0.5)),
              Series("node_cpu_seconds_total", {**node, "cpu": "1", "mode": "idle"}, counter(0.7)),
              Series("vv_storage_used_bytes", store, counter(1000.0, value_at_start=1e9))]
    expected = {R.PROCESS_CPU_RATE: (proc, 0.2), R.NODE_CPU_IDLE_RATIO: (node, 0.6),
                R.FOLDER_GROWTH: ({"site": store["site"], "job": store["job"], "folder": "processed"}, 1000.0)}
    for i, (metric, record) in enumerate(R.NODE_DEVICE_RATE.items()):
        series.append(Series(metric, {**node, "device": "sda"}, counter(100.0 * (i + 1))))
        expected[record] = ({**node, "device": "sda"}, 100.0 * (i + 1))
    # The storage mount's free bytes falling 1,000 a second: the fits are exact.
    mount = {**node, "device": "/dev/sda1", "fstype": "ext4", "mountpoint": ctx.site.get("storage_mountpoint", "/")}
    series += [Series("node_filesystem_avail_bytes", mount, lambda t: 1e9 - 1000.0 * t),
               Series("node_filesystem_size_bytes", mount, lambda t: 2e9)]
    checks = [close(at, R.copied(record), *expected[record], rel=1e-4) for record in R.COPIED
              if record != R.STORAGE_PREDICTED_FREE]      # one check per horizon below
    for h in dict.fromkeys((ctx.value("thresholds.storage.fill_warning_horizon"),
                            ctx.value("thresholds.storage.fill_critical_horizon"))):
        checks.append(close(at, _sel(R.copied(R.STORAGE_PREDICTED_FREE), horizon=h), {**mount, "horizon": h},
                            1e9 - 1000.0 * (at + duration_seconds(h)), rel=1e-4))
    keys = ("thresholds.storage.predict_window", "thresholds.storage.fill_warning_horizon",
            "thresholds.storage.fill_critical_horizon")
    return [Scenario(R.copied(R.PROCESS_CPU_RATE), "expression",
                     "each 5-minute copy of a recorded rate or fit has the original's value", keys, tuple(series),
                     tuple(checks))]


def _out(labels: dict) -> dict:
    return {k: labels[k] for k in ("site", "job", "instance", "name")}


def _container_levels(ctx) -> list[Scenario]:
    """Rates and highest levels per container and window, and their fleet rollups over two instances."""
    clock = ctx.clock
    at = clock.eval_after(3 * W)
    odd_at = clock.sample_after(at - W)          # one high sample inside the window that ends at `at`
    series, checks = [], []
    for i, (metric, (how, _)) in enumerate(R.CONTAINERS.items()):
        if how == "changes":
            continue
        one = ctx.labels("cadvisor", **_container("scan_video"))
        two = {**one, "instance": "other-host:8080"}
        unnamed = {**one, "name": "", "id": "/system.slice"}
        v = 10.0 * (i + 1)
        if how == "rate":
            # Two series of one container (two interfaces or devices) sum; the unnamed cgroup is left out.
            series += [Series(metric, {**one, "device": "a"}, counter(v)), Series(metric, {**one, "device": "b"}, counter(v / 2)),
                       Series(metric, two, counter(v)), Series(metric, unnamed, counter(v * 3))]
            mine, other = v * 1.5, v
        else:
            series += [Series(metric, one, steps((0, v), (odd_at, v * 4), (odd_at + clock.step, v))),
                       Series(metric, two, steps((0, v))), Series(metric, unnamed, steps((0, v * 9)))]
            mine, other = v * 4, v
        record = R.container(metric)
        checks += [close(at, _sel(record, instance=one["instance"]), _out(one), mine, rel=1e-6,
                         why="the unnamed cgroup left out" + (", the peak kept" if how != "rate" else "")),
                   close(at, _sel(record, instance=two["instance"]), _out(two), other, rel=1e-6),
                   close(at, R.fleet(record), {"job": one["job"], "name": one["name"]}, mine + other, rel=1e-6,
                         why="the fleet rollup sums the instances")]
    return [Scenario(R.container("container_cpu_usage_seconds_total"), "expression",
                     "each named container's rate or highest level over the window, and its fleet rollup", (),
                     tuple(series), tuple(checks))]


def _container_starts(ctx) -> list[Scenario]:
    clock = ctx.clock
    at = clock.eval_after(3 * W)
    first = clock.sample_after(at - W)           # the window's first sample: its change is since the sample before
    second = clock.sample_at_or_before(at)       # the window's last (a window holds several samples)
    before, after = clock.eval_before(first), clock.eval_at_or_after(second + W)
    old, new = ctx.labels("cadvisor", **_container("scan_video")), ctx.labels("cadvisor", **_container("tv_scheduler"))
    unnamed = {**old, "name": "", "id": "/system.slice"}
    metric = "container_start_time_seconds"
    series = (Series(metric, old, steps((0, 1.0), (first, first), (second, second))),
              Series(metric, new, steps((0, None), (first, first), (second, second))),
              Series(metric, unnamed, steps((0, 1.0), (first, first))))
    record = R.container(metric)
    site = old["site"]
    checks = (close(before, _sel(record, site=site), _out(old), 0.0, why="both starts are after this window"),
              close(at, _sel(record, name="scan_video"), _out(old), 2.0, why="two starts in the window, one at its edge"),
              close(at, _sel(record, name="tv_scheduler"), _out(new), 1.0,
                    why="a container first seen in the window, restarted once"),
              ExprCheck(at, f"count({_sel(record, site=site)})", (({}, 2),), "no series for the unnamed cgroup"),
              close(at, _sel(R.fleet(record), name="scan_video"), {"job": old["job"], "name": "scan_video"}, 2.0),
              close(after, _sel(record, name="scan_video"), _out(old), 0.0, why="no start in this window"),
              close(after, _sel(record, name="tv_scheduler"), _out(new), 0.0, why="no start in this window"))
    return [Scenario(record, "expression", "each container start counts once, in the window of its first sample",
                     (), series, checks)]


def scenarios(ctx) -> list[Scenario]:
    return (_gauges(ctx, "min") + _gauges(ctx, "max") + _counts(ctx) + _storage_deriv(ctx) + _open_files(ctx)
            + _copies(ctx) + _container_levels(ctx) + _container_starts(ctx))
