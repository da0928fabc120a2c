"""Metrics of the supporting services and cron jobs (blueprint sections 2.3, 2.4) and storage usage."""

from vvdash.catalog.model import Metric

GENERATION_SECONDS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5)
_PUSHED_DURATION = "pushed once per run: a gauge of the last run, a histogram of one sample is noise"

METRICS = [
    # -- tv_scheduler ---------------------------------------------------------
    Metric("vv_tv_scheduler_playlists_generated_total", "counter", "Playlists written, by TV and outcome.",
           "tv_scheduler", ("tv_id", "status"), seed_name="vv_tv_scheduler_playlists_generated_total"),
    Metric("vv_tv_scheduler_generation_duration_seconds", "histogram", "Time to build one TV's playlist.",
           "tv_scheduler", ("tv_id",), "seconds", GENERATION_SECONDS,
           seed_name="vv_tv_scheduler_generation_duration_seconds"),
    Metric("vv_tv_scheduler_loglines_processed_total", "counter", "Loglines read for playlists.",
           "tv_scheduler", seed_name="vv_tv_scheduler_loglines_processed_total"),
    Metric("vv_tv_scheduler_loglines_rejected_total", "counter",
           "Loglines skipped, by reason (tampered, unsigned, invalid).", "tv_scheduler", ("reason",)),
    Metric("vv_tv_scheduler_runs_total", "counter", "Scheduler runs.", "tv_scheduler",
           seed_name="vv_tv_scheduler_runs_total"),
    Metric("vv_tv_scheduler_last_success_timestamp_seconds", "gauge",
           "When every playlist was last written successfully.", "tv_scheduler", (), "timestamp"),
    # -- self_monitor ---------------------------------------------------------
    Metric("vv_self_monitor_container_restarts_triggered_total", "counter",
           "Restarts self_monitor started, by service.", "self_monitor", ("service",),
           seed_name="vv_self_monitor_container_restarts_triggered_total",
           seed_reason="label container_name -> service: the supervisor restarts processes or containers"),
    Metric("vv_self_monitor_unhealthy_services_detected_total", "counter",
           "Failed health probes, by service.", "self_monitor", ("service",),
           seed_name="vv_self_monitor_unhealthy_services_detected_total",
           seed_reason="label service added: which service failed is the first question"),
    Metric("vv_self_monitor_service_up", "gauge", "1 when the service's last probe passed.",
           "self_monitor", ("service",)),
    Metric("vv_self_monitor_service_given_up", "gauge",
           "1 when the restart budget is spent and the service is left down.", "self_monitor", ("service",)),
    # -- storage_exporter -----------------------------------------------------
    Metric("vv_storage_used_bytes", "gauge", "Bytes used per subfolder of VIDEO_STORAGE_ROOT.",
           "storage_exporter", ("folder",), "bytes"),
    Metric("vv_storage_files", "gauge", "Files per subfolder of VIDEO_STORAGE_ROOT.",
           "storage_exporter", ("folder",)),
    Metric("vv_storage_last_scan_timestamp_seconds", "gauge", "When the storage usage was last computed.",
           "storage_exporter", (), "timestamp"),
    # -- cleanup_old_files (Pushgateway) --------------------------------------
    Metric("vv_cleanup_files_deleted_total", "counter", "Files deleted by retention.", "cleanup_old_files",
           seed_name="vv_cleanup_files_deleted_total", pushed=True),
    Metric("vv_cleanup_bytes_deleted_total", "counter", "Bytes deleted by retention.", "cleanup_old_files",
           (), "bytes", seed_name="vv_cleanup_bytes_deleted_total", pushed=True),
    Metric("vv_cleanup_duration_seconds", "gauge", "Duration of the last cleanup run.", "cleanup_old_files",
           (), "seconds", seed_name="vv_cleanup_duration_seconds", seed_reason=_PUSHED_DURATION, pushed=True),
    Metric("vv_cleanup_runs_total", "counter", "Cleanup runs by dry_run and status.", "cleanup_old_files",
           ("dry_run", "status"), seed_name="vv_cleanup_runs_total", pushed=True),
    Metric("vv_cleanup_last_success_timestamp_seconds", "gauge", "When cleanup last finished successfully.",
           "cleanup_old_files", (), "timestamp", pushed=True),
    # -- log_exporter (Pushgateway) -------------------------------------------
    Metric("vv_log_exporter_archives_created_total", "counter", "Log archives written and verified.",
           "log_exporter", seed_name="vv_log_exporter_archives_created_total", pushed=True),
    Metric("vv_log_exporter_files_archived_total", "counter", "Log files archived.", "log_exporter",
           pushed=True),
    Metric("vv_log_exporter_duration_seconds", "gauge", "Duration of the last export run.", "log_exporter",
           (), "seconds", seed_name="vv_log_exporter_duration_seconds", seed_reason=_PUSHED_DURATION,
           pushed=True),
    Metric("vv_log_exporter_runs_total", "counter", "Export runs by status.", "log_exporter", ("status",),
           pushed=True),
    Metric("vv_log_exporter_last_success_timestamp_seconds", "gauge", "When log export last succeeded.",
           "log_exporter", (), "timestamp", pushed=True),
]
