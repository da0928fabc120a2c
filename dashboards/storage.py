"""Storage: used and free per mount and per storage subfolder, growth, predicted time to full, cleanup."""

from dashboards._common import (
    COUNTED, DOWNSAMPLED_MAX, Scope, above, bargauge, below, build, downsampled, jobs, narrow, q, row, stat,
    timeseries,
)
from shared import exprs
from shared import records as R
from vvdash.inventory import duration_seconds
from vvdash.model.dashboards import Unit


def _panels(inv, sc: Scope) -> list:
    th = inv.thresholds("storage")
    sel = exprs.storage_selector(inv)
    warn_h, crit_h = th("fill_warning_horizon"), th("fill_critical_horizon")
    free_th = below(th("almost_full_free_ratio"), th("fill_free_floor_ratio"))
    used = f"node_filesystem_size_bytes{{{sel}}} - node_filesystem_avail_bytes{{{sel}}}"
    # Every real mount, not only the storage one (the records keep real filesystems only): the one
    # panel meant to show them all. Free is its lowest over each step, size its highest.
    size_all = sc.over_step("node_filesystem_size_bytes")
    avail_all = sc.over_step("node_filesystem_avail_bytes")
    avail = sc.over_step("node_filesystem_avail_bytes", sel)
    folder_growth = f"{sc.copy_over_step(R.FOLDER_GROWTH)} * 3600"
    until_full = narrow(exprs.seconds_until_full(inv), sel, sc)
    growth_th = above(th("subfolder_growth_bytes_per_hour") / 2, th("subfolder_growth_bytes_per_hour"))
    return [
        row("Filesystems"),
        bargauge("Free share of the storage filesystem",
                 "Free share of the filesystem holding VIDEO_STORAGE_ROOT, as the storage alerts read it "
                 "(shared/exprs.py). Red below storage.almost_full_free_ratio, orange below "
                 "storage.fill_free_floor_ratio (the storage alerts' thresholds).",
                 Unit.PERCENT_UNIT,
                 [q(narrow(exprs.storage_free_ratio(inv), sel, sc), "{{instance}} {{mountpoint}}", instant=True)],
                 thresholds=free_th, max=1, w=8),
        downsampled(timeseries("Used and free per mount",
                   "Bytes used and free on every real filesystem of the hosts, the storage one among them. "
                   + DOWNSAMPLED_MAX.replace("highest value", "highest use (lowest free space)"),
                   Unit.BYTES, [q(f"{size_all} - {avail_all}", "{{instance}} {{mountpoint}} used"),
                             q(avail_all, "{{instance}} {{mountpoint}} free")],
                   min=0, w=16)),
        stat("Time until the storage filesystem is full",
             "The storage mount's free bytes over its fill rate in the last storage.predict_window: the "
             "disk-exhaustion alert's expression (shared/exprs.py). No value while the disk is not filling. "
             "Red under storage.fill_critical_horizon, orange under storage.fill_warning_horizon.",
             Unit.SECONDS, [q(f"min({until_full})", instant=True)],
             thresholds=below(duration_seconds(crit_h), duration_seconds(warn_h)), graph=False, w=6, h=6,
             no_value="Not filling"),
        stat("Filesystems meeting the disk-exhaustion condition",
             f"Storage filesystems below the free floor, read-write, and predicted full within {warn_h}: "
             "the warning alert's exact condition. Red when any.",
             Unit.SHORT, [q(f"count({narrow(exprs.storage_filling_up(inv, warn_h), sel, sc)}) or vector(0)", instant=True)],
             thresholds=above(None, 1), graph=False, w=6, h=6),
        downsampled(timeseries("Predicted free space",
                   f"Free bytes of the storage mount predicted {warn_h} and {crit_h} ahead by a linear fit over "
                   "storage.predict_window (the alert's predict_linear, its recording rule's copy evaluated every "
                   "5 minutes, rules/downsample.py). Below zero means full by then. Each point is the lowest "
                   "prediction over its step, and the free bytes now the lowest over it, from the 5-minute "
                   "downsampled record; points are at least 5 minutes apart.",
                   Unit.BYTES, [q(sc.copy_over_step(R.STORAGE_PREDICTED_FREE, f'horizon="{warn_h}"'), f"in {warn_h}"),
                             q(sc.copy_over_step(R.STORAGE_PREDICTED_FREE, f'horizon="{crit_h}"'), f"in {crit_h}"),
                             q(avail, "now")],
                   thresholds=below(0), threshold_lines=True, w=12, h=6)),
        timeseries("Time until full",
                   "The time-until-full figure over time (the stat's expression, recorded at every rule evaluation).",
                   Unit.SECONDS, [q(sc.rec(R.STORAGE_SECONDS_UNTIL_FULL), "{{mountpoint}}")],
                   thresholds=below(duration_seconds(crit_h), duration_seconds(warn_h)), min=0, w=12),
        downsampled(timeseries("Storage filesystem growth per hour",
                   "Bytes consumed per hour on the filesystem holding VIDEO_STORAGE_ROOT (negative: space "
                   "freed), fitted over the last hour: the record evaluated every 5 minutes "
                   "(rules/downsample.py), so points are at least 5 minutes apart.",
                   Unit.BYTES, [q(f"-{sc.rec(R.STORAGE_FREE_DERIV)} * 3600",
                               "{{instance}} {{mountpoint}}")], w=12)),
        row("VIDEO_STORAGE_ROOT subfolders"),
        downsampled(timeseries("Used per subfolder",
                   "Bytes used in each subfolder of VIDEO_STORAGE_ROOT (input, processing, processed, "
                   "corrupted, analytics, summaries, loglines, playlists, logs...). " + DOWNSAMPLED_MAX,
                   Unit.BYTES, [q(f"sum by (folder) ({sc.over_step('vv_storage_used_bytes')})", "{{folder}}")],
                   stack=True, min=0, w=12)),
        bargauge("Used per subfolder now",
                 "Current bytes used per subfolder.", Unit.BYTES,
                 [q(f"sum by (folder) ({sc.m('vv_storage_used_bytes')})", "{{folder}}", instant=True)], w=6),
        bargauge("Files per subfolder",
                 "Files currently in each subfolder.", Unit.SHORT,
                 [q(f"sum by (folder) ({sc.m('vv_storage_files')})", "{{folder}}", instant=True)], w=6),
        downsampled(timeseries("Subfolder growth per hour",
                   "Bytes added per hour to each subfolder, fitted over the last hour: the abnormal-growth alert's "
                   "recording rule, drawn from its copy evaluated every 5 minutes (rules/downsample.py). Each point "
                   "is the newest fit of its step, at most 5 minutes before it; points are at least 5 minutes "
                   "apart. Red at storage.subfolder_growth_bytes_per_hour, the alert's threshold.",
                   Unit.BYTES, [q(folder_growth, "{{site}} {{folder}}")],
                   thresholds=growth_th, threshold_lines=True, w=12)),
        stat("Storage usage age",
             "Time since storage_exporter last measured the subfolders; older than a few refresh periods "
             "means the figures above are stale.", Unit.SECONDS,
             [q(f"time() - max({sc.m('vv_storage_last_scan_timestamp_seconds')})", instant=True)],
             thresholds=above(3 * inv["pipeline"]["storage_exporter"]["refresh_seconds"],
                              10 * inv["pipeline"]["storage_exporter"]["refresh_seconds"]), graph=False, w=6, h=8),
        stat("Storage mount used",
             "Bytes used on the filesystem holding VIDEO_STORAGE_ROOT.", Unit.BYTES,
             [q(f"max({narrow(used, sel, sc)})", instant=True)],
             w=6, h=8),
        row("Cleanup effect"),
        downsampled(timeseries("Space freed by cleanup",
                   "Bytes deleted by the retention job per interval (pushed by cleanup_old_files). " + COUNTED,
                   Unit.BYTES, [q(f"sum({sc.count('vv_cleanup_bytes_deleted_total')})", "bytes freed")],
                   bars=True, w=12)),
        downsampled(timeseries("Files deleted by cleanup",
                   "Files deleted by the retention job per interval. " + COUNTED,
                   Unit.SHORT, [q(f"sum({sc.count('vv_cleanup_files_deleted_total')})", "files deleted")],
                   bars=True, w=12)),
    ]


def dashboard(inv):
    # cleanup_old_files pushes (grouped by site and host name, pipeline.pushgateway.grouping_key):
    # the variables read its push_time_seconds beside the scraped jobs' up.
    sc = Scope(jobs("node_exporter", "storage_exporter", "cleanup_old_files"),
               variable_metric=("up", "push_time_seconds"))
    return build(
        inv, module=__name__, title="VV / Storage",
        description="Used and free space per mount and per VIDEO_STORAGE_ROOT subfolder, growth, the "
                    "disk-exhaustion prediction and the effect of cleanup.",
        tags=("storage",), scope=sc, panels=_panels(inv, sc))
