"""Prometheus job names: the one place scrape configs, dashboards and rules take them from.

A catalog metric's `component` names what exposes it; JOB maps that to the `job` label
its series carry. Pushed metrics carry the pushing job's name (honor_labels on the
Pushgateway scrape); blackbox probe results carry the probe job.
"""

# Long-running pipeline services, each scraped at its own /metrics.
PIPELINE_SERVICES = (
    "agent_dvr", "orchestrator", "scan_video", "summarize_scene", "logline_generator",
    "tv_scheduler", "self_monitor", "storage_exporter",
)

# Long-running services that sign or verify loglines: each reads pipeline.hmac_key at start.
HMAC_KEY_USERS = ("logline_generator", "tv_scheduler")

# Cron-style jobs that push to the Pushgateway under their own job name.
PUSHED_JOBS = ("cleanup_old_files", "log_exporter")

JOB = {
    **{name: name for name in PIPELINE_SERVICES},
    **{name: name for name in PUSHED_JOBS},
    "node_exporter": "node",
    "cadvisor": "cadvisor",
    "nginx_exporter": "nginx",
    "blackbox_exporter": "blackbox_dvr",     # probe_* series: one target per DVR
    "pushgateway": "pushgateway",
    "prometheus": "prometheus",
    "alertmanager": "alertmanager",
}

# Exporter processes themselves (their own /metrics, not the probes).
BLACKBOX_SELF_JOB = "blackbox_exporter"


def job(component: str) -> str:
    """Job label of what exposes `component`'s metrics (KeyError for a typo)."""
    return JOB[component]


def selector(component: str) -> str:
    """`job="..."` matcher text for PromQL."""
    return f'job="{JOB[component]}"'
