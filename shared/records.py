"""Names of the recording rules, for alerts and dashboards (one place for each name)."""

from vvdash.rule_windows import RATE_WINDOW  # part of the records' names (…:rate5m)

# Pipeline stages: the `stage` label value -> the service (job) that runs it.
STAGES = {"scan": "scan_video", "summarize": "summarize_scene", "logline": "logline_generator"}

STAGE_ITEMS_RATE = f"stage:vv_pipeline_items:rate{RATE_WINDOW}"
STAGE_ERROR_RATIO = f"stage:vv_pipeline_errors:ratio_rate{RATE_WINDOW}"
STAGE_DURATION_QUANTILE = "stage:vv_pipeline_duration_seconds:histogram_quantile"
STAGE_SCHEMA_ERRORS_RATE = f"stage:vv_schema_validation_errors:rate{RATE_WINDOW}"
VIDEO_DURATION_QUANTILE = "site:vv_video_processing_duration_seconds:histogram_quantile"
INFERENCE_DURATION_QUANTILE = "backend:vv_summarize_scene_inference_duration_seconds:histogram_quantile"
INFERENCE_FAILURE_RATIO = f"backend:vv_summarize_scene_inferences_failed:ratio_rate{RATE_WINDOW}"
FOLDER_GROWTH = "folder:vv_storage_used_bytes:deriv1h"

# Error ratio of the pipeline SLO over each burn-rate window.
SLO_WINDOWS = ("5m", "30m", "1h", "2h", "6h", "1d", "3d")


def slo_error_ratio(window: str) -> str:
    return f"site:vv_videos_failed:ratio_rate{window}"


QUANTILES = ("0.5", "0.95", "0.99")

# Rates the dashboards sum across sites (a quantile or ratio is computed from them at query time,
# so a fleet-wide figure is exact: per-site quantiles or ratios cannot be combined).
STAGE_DURATION_BUCKET_RATE = f"stage:vv_pipeline_duration_seconds_bucket:rate{RATE_WINDOW}"
VIDEO_DURATION_BUCKET_RATE = f"site:vv_video_processing_duration_seconds_bucket:rate{RATE_WINDOW}"
QUEUE_WAIT_BUCKET_RATE = f"site:vv_video_queue_wait_seconds_bucket:rate{RATE_WINDOW}"
INFERENCE_DURATION_BUCKET_RATE = f"backend:vv_summarize_scene_inference_duration_seconds_bucket:rate{RATE_WINDOW}"
PLAYLIST_DURATION_BUCKET_RATE = f"tv_id:vv_tv_scheduler_generation_duration_seconds_bucket:rate{RATE_WINDOW}"
DVR_CONNECT_BUCKET_RATE = f"dvr:vv_agent_dvr_connect_duration_seconds_bucket:rate{RATE_WINDOW}"
PROCESS_CPU_RATE = f"instance:process_cpu_seconds:rate{RATE_WINDOW}"
NODE_CPU_IDLE_RATIO = f"instance:node_cpu_idle:ratio_rate{RATE_WINDOW}"
NODE_DEVICE_RATE = {
    metric: f"instance_device:{metric.removesuffix('_total')}:rate{RATE_WINDOW}"
    for metric in ("node_disk_read_bytes_total", "node_disk_written_bytes_total", "node_disk_io_time_seconds_total",
                   "node_network_receive_bytes_total", "node_network_transmit_bytes_total")
}
STORAGE_PREDICTED_FREE = "instance_mountpoint:node_filesystem_avail_bytes:predict_linear"
STORAGE_SECONDS_UNTIL_FULL = "instance_mountpoint:node_filesystem_avail_bytes:seconds_until_full"

# Counters the dashboards draw as rates at fleet scale: metric -> labels kept beyond site and job.
# The first kept label names the record's level (site when none).
COUNTER_RATES = {
    "vv_videos_processed_total": ("status",),
    "vv_videos_corrupted_total": ("reason",),
    "vv_scan_video_frames_scanned_total": (),
    "vv_scan_video_objects_detected_total": ("object_type",),
    "vv_scan_video_faces_detected_total": (),
    "vv_logline_hmac_errors_total": (),
    "vv_summarize_scene_inferences_total": ("backend", "status"),
    "vv_agent_dvr_video_segments_created_total": ("dvr",),
    "vv_agent_dvr_connection_errors_total": ("dvr",),
    "vv_agent_dvr_frames_captured_total": ("dvr",),
    "vv_tv_scheduler_playlists_generated_total": ("tv_id", "status"),
    "vv_tv_scheduler_loglines_processed_total": (),
    "vv_tv_scheduler_loglines_rejected_total": ("reason",),
    "vv_tv_scheduler_runs_total": (),
    "vv_self_monitor_unhealthy_services_detected_total": ("service",),
    "vv_self_monitor_container_restarts_triggered_total": ("service",),
}


def counter_rate(metric: str) -> str:
    """The record of `metric`'s rate over RATE_WINDOW, summed by site, job and its COUNTER_RATES labels."""
    labels = COUNTER_RATES[metric]
    return f"{labels[0] if labels else 'site'}:{metric.removesuffix('_total')}:rate{RATE_WINDOW}"

# Fleet rollups of the bucket rates (site summed away): a fleet-wide quantile or heatmap over a
# week reads one series per bucket instead of one per bucket and site.
FLEET_BUCKET_RATES = {
    STAGE_DURATION_BUCKET_RATE: ("stage",),
    VIDEO_DURATION_BUCKET_RATE: (),
    QUEUE_WAIT_BUCKET_RATE: (),
    INFERENCE_DURATION_BUCKET_RATE: ("backend",),
    PLAYLIST_DURATION_BUCKET_RATE: ("tv_id",),
    DVR_CONNECT_BUCKET_RATE: ("dvr",),
}


def fleet(record: str) -> str:
    """The fleet rollup of a per-site (or per-instance) record: `fleet_<level without site and
    instance>:…`, e.g. `fleet_stage:…`, `fleet:…` for a site-level one (keeps job and its labels)."""
    level, rest = record.split(":", 1)
    kept = [part for part in level.split("_") if part not in ("site", "instance")]
    return f"fleet_{'_'.join(kept)}:{rest}" if kept else f"fleet:{rest}"


def fleet_quantile(record: str) -> str:
    """The fleet's quantiles (label `quantile`, QUANTILES) from a per-site bucket-rate record's rollup."""
    level, metric, _ = fleet(record).split(":")
    return f"{level}:{metric.removesuffix('_bucket')}:histogram_quantile"

# Downsampled series the dashboards draw over long ranges (rules/downsample.py). Over a week
# Prometheus decodes every raw sample of a gauge whatever the step; a record evaluated every
# DOWNSAMPLE_WINDOW holds one sample per window, reduced so the panel keeps its meaning: min for
# 0/1 health (one failed scrape still shows as down), max for levels and usage (a peak shows).
DOWNSAMPLE_WINDOW = RATE_WINDOW
# metric -> (reduction, component whose job it is; None: every job exposes it, extra matchers)
DOWNSAMPLED = {
    "up": ("min", None, ""),
    "vv_self_monitor_service_up": ("min", "self_monitor", ""),
    "vv_agent_dvr_connection_status": ("min", "agent_dvr", ""),
    "probe_success": ("min", "blackbox_exporter", ""),
    "probe_duration_seconds": ("max", "blackbox_exporter", ""),
    "process_resident_memory_bytes": ("max", None, ""),
    "process_virtual_memory_bytes": ("max", None, ""),
    "node_load1": ("max", "node_exporter", ""),
    "node_load5": ("max", "node_exporter", ""),
    "node_load15": ("max", "node_exporter", ""),
    "node_memory_MemAvailable_bytes": ("min", "node_exporter", ""),
    "node_memory_MemTotal_bytes": ("max", "node_exporter", ""),
    "node_filesystem_avail_bytes": ("min", "node_exporter", "FSTYPE"),
    "node_filesystem_size_bytes": ("max", "node_exporter", "FSTYPE"),
    "vv_storage_used_bytes": ("max", "storage_exporter", ""),
    "vv_videos_in_input_queue": ("max", "orchestrator", ""),
    "vv_pipeline_stage_active_processors": ("max", "orchestrator", ""),
    "vv_pipeline_stage_workers": ("max", "orchestrator", ""),
    "vv_cleanup_duration_seconds": ("max", "cleanup_old_files", ""),
    "vv_log_exporter_duration_seconds": ("max", "log_exporter", ""),
    "vv_summarize_scene_gpu_memory_used_bytes": ("max", "summarize_scene", ""),
}
# cAdvisor's series of named containers (cgroups without a container, such as system slices, have
# an empty name).
CONTAINER_FILTER = 'name!=""'
# What the host dashboard draws per container, recorded every DOWNSAMPLE_WINDOW over that window
# (rules/downsample.py) by site, job, instance and container name: metric -> (the window's
# reduction, the panel's over its step). The rates tile time, so their mean over a step is the
# step's mean rate; the highest working set of each window keeps a peak; the starts of each window
# (changes of the start time) sum to every start in a range. No alert reads them, so there is no
# record at the normal interval. Each has a fleet rollup (fleet(), summed by job and name), which
# a panel reads with the site and instance variables on All.
CONTAINERS = {
    "container_cpu_usage_seconds_total": ("rate", "avg"),
    "container_network_receive_bytes_total": ("rate", "avg"),
    "container_network_transmit_bytes_total": ("rate", "avg"),
    "container_fs_reads_bytes_total": ("rate", "avg"),
    "container_fs_writes_bytes_total": ("rate", "avg"),
    "container_memory_working_set_bytes": ("max_over_time", "max"),
    "container_memory_usage_bytes": ("max_over_time", "max"),
    "container_start_time_seconds": ("changes", "sum"),
}


def container(metric: str) -> str:
    """`instance_name:<metric>:<rate|max_over_time|changes>5m`, the 5-minute record of a CONTAINERS metric."""
    return f"instance_name:{metric.removesuffix('_total')}:{CONTAINERS[metric][0]}{DOWNSAMPLE_WINDOW}"
# Pushed counters the dashboards draw as counts per interval: metric -> labels kept beyond site and job.
# Recorded as the increase over each DOWNSAMPLE_WINDOW (the group's interval), so a panel's sum of
# them over its step counts every event once.
COUNTED = {
    "vv_cleanup_runs_total": ("status", "dry_run"),
    "vv_cleanup_files_deleted_total": (),
    "vv_cleanup_bytes_deleted_total": (),
    "vv_log_exporter_runs_total": ("status",),
    "vv_log_exporter_archives_created_total": (),
    "vv_log_exporter_files_archived_total": (),
    "vv_self_monitor_container_restarts_triggered_total": ("service",),
}
STORAGE_FREE_DERIV = "instance_mountpoint:node_filesystem_avail_bytes:deriv1h"
# Each process's open file descriptors as a share of its limit, the highest over the window: one
# series per process for the host dashboard's open-files panel, not two to divide.
OPEN_FILES_RATIO = f"instance:process_open_fds_per_max_fds:ratio_max_over_time{DOWNSAMPLE_WINDOW}"
# Records evaluated at the normal interval (alerts and short ranges read them) that panels draw per
# instance over days: each has a copy with the same expression evaluated every DOWNSAMPLE_WINDOW
# (rules/downsample.py), which a panel reduces over its step: record -> reduction. A 5-minute rate
# every 5 minutes tiles time, so the mean of the copies over a step is the step's mean rate. A fit
# over hours moves slowly: the predicted free space is the lowest over the step; the hourly folder
# growth the newest fit of the step, the value the alert compares (the highest of a 10-minute step's
# two fits drew up to 6 % above the old line's point at the step). The time until full stays at the
# normal interval: one series per site, and near a zero fill rate a 5-minute shift changes it by
# orders of magnitude.
COPIED = {
    PROCESS_CPU_RATE: "avg",
    NODE_CPU_IDLE_RATIO: "avg",
    **dict.fromkeys(NODE_DEVICE_RATE.values(), "avg"),
    FOLDER_GROWTH: "last",
    STORAGE_PREDICTED_FREE: "min",
}


def copied(record: str) -> str:
    """`<record>_every5m`: the copy of a COPIED record evaluated every DOWNSAMPLE_WINDOW."""
    COPIED[record]      # only these have a copy
    return f"{record}_every{DOWNSAMPLE_WINDOW}"


def downsampled(metric: str) -> str:
    """`instance:<metric>:<min|max>_over_time5m`: every label of the input kept."""
    return f"instance:{metric}:{DOWNSAMPLED[metric][0]}_over_time{DOWNSAMPLE_WINDOW}"


def counted(metric: str) -> str:
    """`instance[_<label>…]:<metric>:increase5m`, summed by site, job, instance and its COUNTED labels."""
    level = "_".join(("instance", *COUNTED[metric]))
    return f"{level}:{metric.removesuffix('_total')}:increase{DOWNSAMPLE_WINDOW}"

# Fleet rollups of the rates the dashboards sum across sites (rules/fleet.py), every DOWNSAMPLE_WINDOW:
# with the site variable on All a panel reads one series per label set instead of one per site.
# record -> labels kept beyond job.
FLEET_RATES = {
    **{counter_rate(metric): labels for metric, labels in COUNTER_RATES.items()},
    STAGE_ITEMS_RATE: ("stage", "status"),
    STAGE_SCHEMA_ERRORS_RATE: ("stage",),
}
