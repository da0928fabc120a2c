"""The long-running pipeline services: inventory name -> module run with `python -m`.

Each module has `main(argv)` taking `--inventory FILE` and serving /metrics and /healthz
on the inventory's address and port for that name.
"""

LONG_RUNNING = {
    "agent_dvr": "pipeline.agent_dvr",
    "scan_video": "pipeline.scan_video",
    "summarize_scene": "pipeline.summarize_scene",
    "logline_generator": "pipeline.logline_generator",
    "orchestrator": "pipeline.orchestrator",
    "tv_scheduler": "pipeline.tv_scheduler",
    "storage_exporter": "pipeline.storage_exporter",
}

# Cron-style jobs run by `vvdash pipeline cron NAME`: they push to the Pushgateway.
CRON_JOBS = {
    "cleanup_old_files": "pipeline.cleanup_old_files",
    "log_exporter": "pipeline.log_exporter",
}
