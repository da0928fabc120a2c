"""Third-party metrics that dashboards and rules read (blueprint section 2.2, and the monitoring stack itself)."""

from vvdash.catalog.model import Metric


def _x(name, type_, help_, component, labels=(), unit="", **kw):
    return Metric(name, type_, help_, component, tuple(labels), unit, exporter=True, **kw)


_FS = ("device", "fstype", "mountpoint")
_CT = ("id", "name", "image")

METRICS = [
    # -- node_exporter --------------------------------------------------------
    _x("node_cpu_seconds_total", "counter", "CPU time per mode.", "node_exporter", ("cpu", "mode"), "seconds",
       seed_name="node_cpu_seconds_total"),
    _x("node_memory_MemAvailable_bytes", "gauge", "Memory available.", "node_exporter", unit="bytes",
       seed_name="node_memory_MemAvailable_bytes"),
    _x("node_memory_MemTotal_bytes", "gauge", "Memory total.", "node_exporter", unit="bytes",
       seed_name="node_memory_MemTotal_bytes"),
    _x("node_filesystem_avail_bytes", "gauge", "Filesystem space available to non-root users.",
       "node_exporter", _FS, "bytes", seed_name="node_filesystem_avail_bytes"),
    _x("node_filesystem_size_bytes", "gauge", "Filesystem size.", "node_exporter", _FS, "bytes",
       seed_name="node_filesystem_size_bytes"),
    _x("node_filesystem_readonly", "gauge", "1 when the filesystem is mounted read-only.", "node_exporter", _FS),
    _x("node_disk_io_time_seconds_total", "counter", "Time spent doing I/O.", "node_exporter", ("device",),
       "seconds", seed_name="node_disk_io_time_seconds_total"),
    _x("node_disk_read_bytes_total", "counter", "Bytes read from disk.", "node_exporter", ("device",), "bytes"),
    _x("node_disk_written_bytes_total", "counter", "Bytes written to disk.", "node_exporter", ("device",),
       "bytes"),
    _x("node_network_receive_bytes_total", "counter", "Bytes received.", "node_exporter", ("device",), "bytes",
       seed_name="node_network_receive_bytes_total"),
    _x("node_network_transmit_bytes_total", "counter", "Bytes transmitted.", "node_exporter", ("device",),
       "bytes", seed_name="node_network_transmit_bytes_total"),
    _x("node_load1", "gauge", "1-minute load average.", "node_exporter", seed_name="node_load1"),
    _x("node_load5", "gauge", "5-minute load average.", "node_exporter", seed_name="node_load5"),
    _x("node_load15", "gauge", "15-minute load average.", "node_exporter", seed_name="node_load15"),
    # -- cAdvisor -------------------------------------------------------------
    _x("container_cpu_usage_seconds_total", "counter", "Container CPU time.", "cadvisor", _CT + ("cpu",),
       "seconds", seed_name="container_cpu_usage_seconds_total",
       seed_reason="label container_name is `name` in current cAdvisor"),
    _x("container_memory_usage_bytes", "gauge", "Container memory use, cache included.", "cadvisor", _CT,
       "bytes", seed_name="container_memory_usage_bytes"),
    _x("container_memory_working_set_bytes", "gauge", "Container working set (what the OOM killer sees).",
       "cadvisor", _CT, "bytes"),
    _x("container_network_receive_bytes_total", "counter", "Container bytes received.", "cadvisor",
       _CT + ("interface",), "bytes", seed_name="container_network_receive_bytes_total"),
    _x("container_network_transmit_bytes_total", "counter", "Container bytes transmitted.", "cadvisor",
       _CT + ("interface",), "bytes", seed_name="container_network_transmit_bytes_total"),
    _x("container_fs_reads_bytes_total", "counter", "Container bytes read.", "cadvisor", _CT + ("device",),
       "bytes", seed_name="container_fs_reads_bytes_total"),
    _x("container_fs_writes_bytes_total", "counter", "Container bytes written.", "cadvisor", _CT + ("device",),
       "bytes", seed_name="container_fs_writes_bytes_total"),
    _x("container_start_time_seconds", "gauge", "Container start time; a change is a restart.", "cadvisor",
       _CT, "timestamp", seed_name="container_restarts_total",
       seed_reason="cAdvisor has no restart counter: restarts are changes() of the start time, "
                   "plus vv_self_monitor_container_restarts_triggered_total"),
    # -- nginx-prometheus-exporter (stub_status) ------------------------------
    _x("nginx_up", "gauge", "1 when the exporter reached nginx.", "nginx_exporter"),
    _x("nginx_http_requests_total", "counter", "HTTP requests served.", "nginx_exporter",
       seed_name="nginx_http_requests_total",
       seed_reason="stub_status has no status/method/path labels and no request-duration histogram"),
    _x("nginx_connections_active", "gauge", "Active client connections.", "nginx_exporter",
       seed_name="nginx_connections_active"),
    # -- blackbox_exporter (label dvr attached by the scrape config's relabelling) --
    _x("probe_success", "gauge", "1 when the probe succeeded.", "blackbox_exporter", ("dvr",)),
    _x("probe_duration_seconds", "gauge", "How long the probe took.", "blackbox_exporter", ("dvr",), "seconds"),
    _x("probe_http_status_code", "gauge", "HTTP status of the probe response.", "blackbox_exporter", ("dvr",)),
    # -- Pushgateway ----------------------------------------------------------
    _x("push_time_seconds", "gauge", "Last successful push of a group.", "pushgateway", unit="timestamp"),
    _x("push_failure_time_seconds", "gauge", "Last failed push of a group.", "pushgateway", unit="timestamp"),
    # -- every Python/Go process ----------------------------------------------
    _x("process_cpu_seconds_total", "counter", "Process CPU time.", "process", unit="seconds"),
    _x("process_resident_memory_bytes", "gauge", "Process resident memory.", "process", unit="bytes"),
    _x("process_virtual_memory_bytes", "gauge", "Process virtual memory.", "process", unit="bytes"),
    _x("process_start_time_seconds", "gauge", "Process start time.", "process", unit="timestamp"),
    _x("process_open_fds", "gauge", "Open file descriptors.", "process"),
    _x("process_max_fds", "gauge", "File descriptor limit.", "process"),
    # -- Prometheus and Alertmanager themselves -------------------------------
    _x("up", "gauge", "1 when the last scrape of the target succeeded.", "prometheus"),
    _x("scrape_duration_seconds", "gauge", "Duration of the last scrape.", "prometheus", unit="seconds"),
    _x("ALERTS", "gauge", "Pending and firing alerts.", "prometheus", ("alertname", "alertstate", "severity"),
       open_labels=True),
    _x("prometheus_rule_evaluation_failures_total", "counter", "Failed rule evaluations.", "prometheus",
       ("rule_group",)),
    _x("prometheus_rule_group_last_duration_seconds", "gauge", "How long the last evaluation of a group took.",
       "prometheus", ("rule_group",), "seconds"),
    _x("prometheus_rule_group_interval_seconds", "gauge", "The evaluation interval of a group.",
       "prometheus", ("rule_group",), "seconds"),
    _x("prometheus_rule_group_iterations_missed_total", "counter",
       "Evaluations of a group skipped because the previous one was still running.", "prometheus",
       ("rule_group",)),
    _x("prometheus_notifications_errors_total", "counter", "Errors sending alerts to Alertmanager.",
       "prometheus", ("alertmanager",)),
    _x("prometheus_notifications_sent_total", "counter", "Alerts sent (attempted) to each Alertmanager.",
       "prometheus", ("alertmanager",)),
    _x("prometheus_notifications_dropped_total", "counter",
       "Alerts dropped: no Alertmanager took them, or the queue was full.", "prometheus"),
    _x("prometheus_notifications_alertmanagers_discovered", "gauge", "Alertmanagers Prometheus sends to.",
       "prometheus"),
    _x("prometheus_config_last_reload_successful", "gauge", "1 when the last config reload succeeded.",
       "prometheus"),
    _x("alertmanager_notifications_total", "counter", "Notifications attempted, by integration.",
       "alertmanager", ("integration",)),
    # Alertmanager 0.27 and later add a `reason` label; the rules aggregate it away.
    _x("alertmanager_notifications_failed_total", "counter", "Notifications that failed, by integration.",
       "alertmanager", ("integration", "reason")),
    _x("alertmanager_config_last_reload_successful", "gauge", "1 when the last config reload succeeded.",
       "alertmanager"),
]
