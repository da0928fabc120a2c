"""Storage: disk exhaustion prediction, almost full, storage series missing, abnormal subfolder growth."""

from __future__ import annotations

from rules._common import number, runbook
from shared import records as R
from shared.dashboards import uid as dashboard_uid
from shared.exprs import (
    predicted_free_bytes, seconds_until_full, storage_filling_up, storage_free_ratio, storage_selector,
    storage_series_missing,
)
from vvdash.jobs import selector
from vvdash.model.rules import Alert, Group, Record, Severity
from vvdash.rule_windows import GROWTH_WINDOW



def _records(inv) -> list[Record]:
    sel = selector("storage_exporter")
    t = inv.thresholds("storage")
    # The disk-exhaustion prediction the storage dashboard draws over days: a fit over
    # storage.predict_window at every step would read the whole window again per step.
    horizons = dict.fromkeys((t("fill_warning_horizon"), t("fill_critical_horizon")))
    return [Record(record=R.FOLDER_GROWTH,
                   expr=f"sum by (site, job, folder) (deriv(vv_storage_used_bytes{{{sel}}}[{GROWTH_WINDOW}]))"),
            *[Record(record=R.STORAGE_PREDICTED_FREE, expr=predicted_free_bytes(inv, h), labels={"horizon": h}) for h in horizons],
            Record(record=R.STORAGE_SECONDS_UNTIL_FULL, expr=seconds_until_full(inv))]


def _alerts(inv) -> list[Alert]:
    t = inv.thresholds("storage")
    dash = dashboard_uid("storage")
    fill_book = runbook(
        "The storage filesystem is below its free-space floor and, at the rate it has been filling, "
        "will be full within the horizon.",
        ["Cleanup not running or its budget too large.", "More DVR segments than planned.",
         "A folder growing abnormally (processed/, logs)."],
        ["Storage dashboard: free space, growth per folder, predicted time to full.",
         "Maintenance dashboard: last cleanup run and bytes deleted.",
         "pipeline.cleanup in vvdash.yaml (max_age_days, max_bytes)."])
    desc = ("Filesystem {{ $labels.mountpoint }} on {{ $labels.instance }} at site {{ $labels.site }} has "
            "{{ $value | humanizePercentage }} free and is predicted to fill within {horizon}.")
    fill = []
    # The early warning has the longer horizon and the higher floor (node-mixin: 40 % and 15 %).
    for severity, key, floor in ((Severity.WARNING, "fill_warning_horizon", "fill_warning_free_ratio"),
                                 (Severity.CRITICAL, "fill_critical_horizon", "fill_free_floor_ratio")):
        fill.append(Alert(
            alert="VVStorageFillingUp", expr=storage_filling_up(inv, t(key), floor), severity=severity,
            summary="The video storage is predicted to fill up.", description=desc.replace("{horizon}", t(key)),
            dashboard=dash, runbook=fill_book, for_=t("for")))
    sel = storage_selector(inv)
    return [
        *fill,
        Alert(
            alert="VVStorageAlmostFull",
            expr=f"(\n  {storage_free_ratio(inv)} < {number(t('almost_full_free_ratio'))}\nand\n"
            f"  node_filesystem_readonly{{{sel}}} == 0\n)",
            severity=Severity.CRITICAL, summary="The video storage is almost full.",
            description="Filesystem {{ $labels.mountpoint }} on {{ $labels.instance }} at site {{ $labels.site }} has only "
            "{{ $value | humanizePercentage }} free.",
            dashboard=dash, runbook=runbook(
                "Free space on the storage filesystem is below the hard floor; writes fail soon.",
                ["Cleanup not keeping up.", "Log or archive files accumulating."],
                ["Storage dashboard: used bytes per folder.", "Run `vvdash pipeline cron cleanup_old_files`.",
                 "Whether corrupted/ or logs hold unexpected data."]),
            for_=t("almost_full_for")),
        Alert(
            alert="VVStorageSeriesMissing", expr=storage_series_missing(inv),
            severity=Severity.WARNING, summary="The storage alerts have no filesystem to watch.",
            description="node_exporter at site {{ $labels.site }} is up but reports no filesystem at the configured "
            "storage_mountpoint, so the storage alerts of that site cannot fire.",
            dashboard=dash, runbook=runbook(
                "No node_filesystem series match the site's storage_mountpoint (with the filesystem-type "
                "filter that drops tmpfs, overlay and the like), so VVStorageFillingUp and "
                "VVStorageAlmostFull read nothing and stay silent however full the disk is.",
                ["storage_mountpoint in vvdash.yaml is not the mount point holding video_storage_root.",
                 "The storage root is on an overlay or tmpfs filesystem (a container's own root): mount a "
                 "host volume there and set storage_mountpoint to it.",
                 "node_exporter in a container without the host's root (--path.rootfs), or with "
                 "--collector.filesystem.mount-points-exclude hiding the mount."],
                ["`findmnt -T <video_storage_root>` on the host: the mount point holding it and its type.",
                 "node_filesystem_avail_bytes{job=\"node\"} in Prometheus: which mount points are reported.",
                 "sites[].storage_mountpoint in vvdash.yaml."]),
            for_=t("missing_for")),
        Alert(
            alert="VVStorageFolderGrowing",
            expr=f"{R.FOLDER_GROWTH} * 3600 > {number(t('subfolder_growth_bytes_per_hour'))}",
            severity=Severity.WARNING, summary="A storage folder is growing abnormally fast.",
            description="Folder {{ $labels.folder }} at site {{ $labels.site }} grows by {{ $value | humanize1024 }}B "
            "per hour.",
            dashboard=dash, runbook=runbook(
                "One subfolder of VIDEO_STORAGE_ROOT grows faster than the configured rate.",
                ["Failures piling files into corrupted/.", "Verbose logging.",
                 "A DVR producing unusually large segments."],
                ["Storage dashboard: growth rate per folder.", "Pipeline dashboard: corrupted files.",
                 "File sizes in the folder."]),
            for_=t("for")),
    ]


def groups(inv) -> list[Group]:
    return [Group(name="vv_storage_records", rules=tuple(_records(inv))), Group(name="vv_storage_alerts", rules=tuple(_alerts(inv)))]
