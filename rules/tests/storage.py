"""Scenarios for rules/storage.py: filling up (warning and critical horizons), almost full,
folders growing fast, and the growth record.

The filesystem falls linearly, so predict_linear is exact: the predicted time to full at time t
is avail(t) / slope. Below the floor from the start, it turns true once two samples exist."""

from __future__ import annotations

from shared import records as R
from vvdash.scenarios import Firing, Scenario, Series, close, counter, fires, gauge, just_over, just_under, \
    quiet, seconds, steps

T = "thresholds.storage."
SIZE = 1e12


def _fs_labels(ctx) -> dict:
    host = ctx.site["hosts"][0]["address"]
    port = ctx.inv.service("node_exporter")["port"]
    return {"job": "node", "instance": f"{host}:{port}", "site": ctx.site["name"],
            "mountpoint": ctx.site.get("storage_mountpoint", "/"), "fstype": "ext4", "device": "/dev/sda1"}


def _filesystem(labels, avail, readonly=0):
    return (Series("node_filesystem_size_bytes", labels, gauge(SIZE)),
            Series("node_filesystem_avail_bytes", labels, avail),
            Series("node_filesystem_readonly", labels, gauge(readonly)))


def _falling(start_ratio: float, full_at: float):
    """Free bytes from start_ratio of SIZE at t=0, falling to 0 at t=full_at."""
    slope = start_ratio * SIZE / full_at
    return (lambda t: start_ratio * SIZE - slope * t), slope


def _filling(ctx) -> list[Scenario]:
    clock = ctx.clock
    alert = "VVStorageFillingUp"
    floor = ctx.value(T + "fill_free_floor_ratio")              # the critical's floor
    warn_floor = ctx.value(T + "fill_warning_free_ratio")       # the early warning's, higher
    warn, crit = ctx.seconds(T + "fill_warning_horizon"), ctx.seconds(T + "fill_critical_horizon")
    hold = ctx.seconds(T + "for")
    keys = (T + "fill_free_floor_ratio", T + "fill_warning_free_ratio", T + "fill_warning_horizon",
            T + "fill_critical_horizon", T + "for", T + "predict_window")
    labels = _fs_labels(ctx)
    true_from = clock.eval_at_or_after(clock.offset + clock.step)     # two samples for predict_linear
    at = clock.fires_at(true_from, hold)
    start = just_under(min(floor, warn_floor)) * 0.9                  # below both floors throughout

    def firing(avail, t, *severities):
        # The alert's value is the free ratio of the newest samples.
        return [Firing(labels, avail(clock.sample_at_or_before(t)) / SIZE, sev) for sev in severities]

    out = []
    # Predicted full within both horizons all along: within crit of true_from, and after `at` (on the
    # inventory's clock crit is at least `for` plus an evaluation; a steady clock's coarser grid may
    # put `at` later: the disk then runs out a little before it).
    full = true_from + (min(at - true_from, crit) + crit) / 2
    avail, _ = _falling(start, full)
    out.append(Scenario(alert, "for edge", f"{start:.4g} free, full at {full:g}s", keys,
                        _filesystem(labels, avail),
                        (quiet(at - clock.evaluation, alert, "still pending"),
                         fires(at, alert, *firing(avail, at, "warning", "critical")))))
    # Within the warning horizon only: predicted full within `warn` from true_from on, so the warning
    # fires at `at`; within `crit` only after true_from, so the critical, pending from its first true
    # evaluation on, has not held for `for` by `at` (the last evaluation `for` before `at` is
    # true_from). Room for it whenever the warning horizon is longer than the critical one.
    full_at = true_from + (crit + warn) / 2
    avail, _ = _falling(start, full_at)
    out.append(Scenario(alert, "fires", f"full at {full_at:g}s: within the warning horizon only, the critical "
                        "still pending", keys, _filesystem(labels, avail),
                        (fires(at, alert, *firing(avail, at, "warning")),), steady=True))
    # Near misses: predicted full just after the warning horizon; above the floor; read-only.
    avail, _ = _falling(start, just_over(warn) + at)
    out.append(Scenario(alert, "near miss", "predicted full just after the warning horizon", keys,
                        _filesystem(labels, avail), (quiet(at, alert),), steady=True))
    top = max(floor, warn_floor)
    over_floor = just_over(top) if top < 1 else top
    fall = (over_floor * SIZE) / (crit / 2)                          # full crit/2 after `at`
    above = Series("node_filesystem_avail_bytes", labels, lambda t: over_floor * SIZE + fall * (at - t))
    out.append(Scenario(alert, "near miss", f"falling fast but {over_floor:.4g} free, just above both floors",
                        keys, (Series("node_filesystem_size_bytes", labels, gauge(SIZE)), above,
                               Series("node_filesystem_readonly", labels, gauge(0))), (quiet(at, alert),),
                        steady=True))
    # Between the floors: under the warning's, still over the critical's, and falling fast enough
    # for the critical horizon: the early warning alone.
    if warn_floor > floor:
        r0 = just_under(warn_floor)
        bound = r0 * crit / (at + crit)                    # highest free ratio at `at` still full within crit
        r_at = (just_over(floor) + bound) / 2
        slope = (r0 - r_at) / at
        if just_over(floor) < bound and r0 / slope <= warn:
            between = lambda t: (r0 - slope * t) * SIZE  # noqa: E731
            out.append(Scenario(
                alert, "fires", f"{r0:.4g} free falling to {r_at:.4g}: under the warning floor, over the "
                "critical floor, full within the critical horizon: the warning alone", keys,
                _filesystem(labels, between), (fires(at, alert, *firing(between, at, "warning")),),
                steady=True))
    avail, _ = _falling(start, full)
    out.append(Scenario(alert, "near miss", "the same fall on a read-only filesystem", keys,
                        _filesystem(labels, avail, readonly=1), (quiet(at, alert),), steady=True))
    out.append(Scenario(alert, "absent data", "no filesystem series for the storage mount", keys,
                        _filesystem({**labels, "mountpoint": "/elsewhere"}, _falling(start, full)[0]),
                        (quiet(at, alert),), steady=True))
    return out


def _almost_full(ctx) -> list[Scenario]:
    clock = ctx.clock
    alert = "VVStorageAlmostFull"
    limit = ctx.value(T + "almost_full_free_ratio")
    hold = ctx.seconds(T + "almost_full_for")
    keys = (T + "almost_full_free_ratio", T + "almost_full_for")
    labels = _fs_labels(ctx)
    drop = clock.sample_after(2 * clock.evaluation)
    at = clock.fires_at(drop, hold)
    under, over = just_under(limit), min(1.0, just_over(limit))
    avail = steps((0, over * SIZE), (drop, under * SIZE))
    return [
        Scenario(alert, "for edge", f"{under:.4g} free from {drop:g}s, {over:.4g} before", keys,
                 _filesystem(labels, avail),
                 (quiet(at - clock.evaluation, alert, "still pending"),
                  fires(at, alert, Firing(labels, under)))),
        Scenario(alert, "near miss", f"{over:.4g} free, just over {limit:g}", keys,
                 _filesystem(labels, gauge(over * SIZE)), (quiet(at, alert),)),
        Scenario(alert, "near miss", "almost full but read-only", keys,
                 _filesystem(labels, avail, readonly=1), (quiet(at, alert),)),
    ]


def _growth(ctx) -> list[Scenario]:
    clock = ctx.clock
    alert = "VVStorageFolderGrowing"
    limit = ctx.value(T + "subfolder_growth_bytes_per_hour")
    hold = ctx.seconds(T + "for")
    keys = (T + "subfolder_growth_bytes_per_hour", T + "for")
    labels = ctx.labels("storage_exporter", folder="processed")
    out_labels = {"job": labels["job"], "site": labels["site"], "folder": "processed"}
    true_from = clock.eval_at_or_after(clock.offset + clock.step)      # deriv needs two samples
    at = clock.fires_at(true_from, hold)
    out = []
    for kind, per_hour in (("fires", just_over(limit)), ("near miss", just_under(limit))):
        used = Series("vv_storage_used_bytes", labels, counter(per_hour / 3600, value_at_start=1e9))
        if kind == "fires":
            checks = (quiet(at - clock.evaluation, alert, "still pending"),
                      fires(at, alert, Firing(out_labels, per_hour)),
                      close(at, R.FOLDER_GROWTH, out_labels, per_hour / 3600))
        else:
            checks = (quiet(at, alert),)
        out.append(Scenario(alert, kind, f"{per_hour:.6g} bytes an hour against {limit:g}", keys, (used,), checks,
                            steady=kind == "near miss"))
    return out


# The filling and growth scenarios wait through thresholds.storage.for: those without an edge
# among their checks run on a coarser clock (storage_steady.yml).
STEADY = lambda inv: seconds(inv["thresholds"]["storage"]["for"])  # noqa: E731


def scenarios(ctx):
    return [*_filling(ctx), *_almost_full(ctx), *_growth(ctx)]
