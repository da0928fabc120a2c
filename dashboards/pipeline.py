"""Video pipeline: the funnel input -> scan -> summarize -> logline, per-stage latency and errors."""

from functools import partial

from dashboards._common import FAILED, Scope, above, bargauge, build, heatmap, jobs, q, row, stat, timeseries

# stage label -> (processed counter, duration histogram) of the service running it.
STAGES = {
    "scan": ("vv_scan_video_processed_total", "vv_scan_video_duration_seconds"),
    "summarize": ("vv_summarize_scene_processed_total", "vv_summarize_scene_duration_seconds"),
    "logline": ("vv_logline_generated_total", "vv_logline_generation_duration_seconds"),
}
SCHEMA_ERRORS = {
    "scan": "vv_scan_video_schema_validation_errors_total",
    "summarize": "vv_summarize_scene_schema_validation_errors_total",
    "logline": "vv_logline_schema_validation_errors_total",
}
QUANTILES = ("0.5", "0.95", "0.99")


def _quantile(sc: Scope, histogram: str, quantile: str, by: str = "") -> str:
    group = f"le, {by}" if by else "le"
    return f"histogram_quantile({quantile}, sum by ({group}) ({sc.rate(histogram + '_bucket')}))"


def _error_ratio(sc: Scope, counter: str) -> str:
    return f"sum({sc.rate(counter, FAILED)}) / sum({sc.rate(counter)})"


def _panels(inv, sc: Scope) -> list:
    th = partial(inv.threshold, "pipeline")
    error_th = above(th("stage_error_ratio") / 2, th("stage_error_ratio"))
    panels = [
        row("Funnel"),
        bargauge(
            "Funnel: items per second by stage",
            "Mean rate over the time range of segments created (input), videos scanned, analytics "
            "summarized and loglines written. A drop between two bars is where items are lost or queued.",
            "ops",
            [q(f"sum({sc.rate('vv_agent_dvr_video_segments_created_total')})", "input"),
             *[q(f"sum({sc.rate(counter)})", stage) for stage, (counter, _) in STAGES.items()]],
            calc="mean", w=12, h=8),
        timeseries(
            "Input queue depth",
            "Videos waiting in input/. Orange at half, red at pipeline.queue_backlog from vvdash.yaml "
            "(the backlog alert's threshold).",
            "short", [q(f"sum by (site) ({sc.m('vv_videos_in_input_queue')})", "{{site}}")],
            thresholds=above(th("queue_backlog") / 2, th("queue_backlog")), threshold_lines=True, w=6),
        timeseries(
            "Active processors by stage",
            "Workers busy on an item per stage, against the configured workers (dashed).",
            "short",
            [q(f"sum by (stage) ({sc.m('vv_pipeline_stage_active_processors')})", "{{stage}} busy"),
             q(f"sum by (stage) ({sc.m('vv_pipeline_stage_workers')})", "{{stage}} workers")],
            w=6),
        row("Throughput and errors"),
        timeseries(
            "Videos completed by status",
            "Videos that went through the whole pipeline per second, by outcome.",
            "ops", [q(f"sum by (status) ({sc.rate('vv_videos_processed_total')})", "{{status}}")],
            stack=True, w=8),
        timeseries(
            "Stage throughput by status",
            "Items per second leaving each stage, by outcome (success, failure, corrupted).",
            "ops",
            [q(f"sum by (status) ({sc.rate(counter)})", f"{stage} {{{{status}}}}")
             for stage, (counter, _) in STAGES.items()],
            w=8),
        timeseries(
            "Error ratio by stage",
            "Share of a stage's items that failed (corrupted inputs are counted apart). Red at "
            "pipeline.stage_error_ratio from vvdash.yaml, the stage error alert's threshold.",
            "percentunit", [q(_error_ratio(sc, counter), stage) for stage, (counter, _) in STAGES.items()],
            thresholds=error_th, threshold_lines=True, min=0, w=8),
        stat(
            "Files in corrupted/",
            "Inputs currently held in corrupted/ (unreadable or refused videos).",
            "short", [q(f"sum({sc.m('vv_files_in_corrupted')})")], thresholds=above(1, 10), w=4, h=8),
        timeseries(
            "Corrupted inputs by reason",
            "Inputs moved to corrupted/ per second, by reason.",
            "ops", [q(f"sum by (reason) ({sc.rate('vv_videos_corrupted_total')})", "{{reason}}")],
            bars=True, w=10),
        timeseries(
            "Schema validation and signing errors",
            "Documents per second that failed their JSON schema, per stage, and logline HMAC signing errors.",
            "ops",
            [*[q(f"sum({sc.rate(counter)})", f"{stage} schema") for stage, counter in SCHEMA_ERRORS.items()],
             q(f"sum({sc.rate('vv_logline_hmac_errors_total')})", "logline hmac")],
            w=10),
        row("Latency"),
    ]
    for stage, (_, histogram) in STAGES.items():
        panels.append(timeseries(
            f"{stage.capitalize()} duration p50/p95/p99",
            f"Quantiles of the time the {stage} stage takes per item, from its histogram.",
            "s", [q(_quantile(sc, histogram, quantile), f"p{float(quantile) * 100:g}") for quantile in QUANTILES],
            w=8))
    panels += [
        timeseries(
            "Whole-pipeline duration p50/p95/p99",
            "Time one video spends in scan, summarize and logline (waits for workers excluded), by quantile.",
            "s", [q(_quantile(sc, "vv_video_processing_duration_seconds", quantile), f"p{float(quantile) * 100:g}")
                  for quantile in QUANTILES],
            w=12),
        heatmap(
            "Whole-pipeline duration distribution",
            "Videos per histogram bucket of the whole-pipeline duration over time.",
            "s", [q(f"sum by (le) ({sc.rate('vv_video_processing_duration_seconds_bucket')})", "{{le}}",
                    fmt="heatmap")],
            w=12),
        timeseries(
            "Queue wait p50/p95/p99",
            "Time a claimed video waited for stage workers before and between its stages, by quantile.",
            "s", [q(_quantile(sc, "vv_video_queue_wait_seconds", quantile), f"p{float(quantile) * 100:g}")
                  for quantile in QUANTILES],
            w=12),
        heatmap(
            "Scan duration distribution",
            "Videos per histogram bucket of the scan stage duration over time.",
            "s", [q(f"sum by (le) ({sc.rate('vv_scan_video_duration_seconds_bucket')})", "{{le}}",
                    fmt="heatmap")],
            w=12),
        heatmap(
            "Summarize duration distribution",
            "Analytics per histogram bucket of the summarize stage duration over time.",
            "s", [q(f"sum by (le) ({sc.rate('vv_summarize_scene_duration_seconds_bucket')})", "{{le}}",
                    fmt="heatmap")],
            w=12),
        row("Scan detail"),
        timeseries(
            "Frames scanned",
            "Frames decoded and analysed by scan_video per second.",
            "cps", [q(f"sum({sc.rate('vv_scan_video_frames_scanned_total')})", "frames")], w=8),
        timeseries(
            "Detections by object type",
            "Objects detected per second by type, and faces.",
            "cps",
            [q(f"sum by (object_type) ({sc.rate('vv_scan_video_objects_detected_total')})", "{{object_type}}"),
             q(f"sum({sc.rate('vv_scan_video_faces_detected_total')})", "faces")],
            w=16),
    ]
    return panels


def dashboard(inv):
    sc = Scope(jobs("agent_dvr", "orchestrator", "scan_video", "summarize_scene", "logline_generator"))
    return build(
        inv, key="pipeline", title="VV / Video pipeline",
        description="The funnel input -> scan -> summarize -> logline: throughput, errors and latency per stage.",
        tags=("pipeline",), scope=sc, panels=_panels(inv, sc))
