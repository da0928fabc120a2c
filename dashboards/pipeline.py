"""Video pipeline: the funnel input -> scan -> summarize -> logline, per-stage latency and errors."""

from dashboards._common import (
    DOWNSAMPLED_MAX, FAILED, RECORDED, Scope, above, bargauge, build, downsampled, heatmap, jobs, q,
    recorded_resolution, row, stat, timeseries,
)
from shared import records as R
from shared.records import RATE_WINDOW
from vvdash.model.dashboards import Panel, Unit

STAGES = tuple(R.STAGES)      # the `stage` label values, in pipeline order
QUANTILES = ("0.5", "0.95", "0.99")
SEGMENTS = "vv_agent_dvr_video_segments_created_total"


def _legend(quantile: str) -> str:
    return f"p{float(quantile) * 100:g}"


def _stage(stage: str) -> str:
    return f'stage="{stage}"'


def _mean_over_range(expr: str) -> str:
    """The mean over the dashboard's range of a per-step series, as one instant query."""
    return f"avg_over_time(({expr})[$__range:$__interval])"


def funnel_resolution(panel: Panel) -> Panel:
    """The funnel's mean steps at least the recorded rates' 5-minute window: 5-minute rates 5 minutes
    apart tile the range, so their mean is the range's mean rate; finer steps only reread them."""
    panel.interval = RATE_WINDOW
    return panel


def _panels(inv, sc: Scope) -> list:
    th = inv.thresholds("pipeline")
    error_th = above(th("stage_error_ratio") / 2, th("stage_error_ratio"))
    items = R.STAGE_ITEMS_RATE
    panels = [
        row("Funnel"),
        funnel_resolution(bargauge(
            "Funnel: items per second by stage",
            "Mean rate over the time range of segments created (input), videos scanned, analytics "
            "summarized and loglines written. A drop between two bars is where items are lost or queued. "
            + RECORDED,
            Unit.OPS,
            [q(_mean_over_range(f"sum({sc.rec(R.counter_rate(SEGMENTS))})"), "input", instant=True),
             *[q(_mean_over_range(f"sum({sc.rec(items, _stage(stage))})"), stage,
                 instant=True) for stage in STAGES]],
            calc="mean", w=12, h=8)),
        downsampled(timeseries(
            "Input queue depth",
            "Videos waiting in input/. Orange at half, red at pipeline.queue_backlog from vvdash.yaml "
            "(the backlog alert's threshold). " + DOWNSAMPLED_MAX,
            Unit.SHORT, [q(f"sum by (site) ({sc.over_step('vv_videos_in_input_queue')})", "{{site}}")],
            thresholds=above(th("queue_backlog") / 2, th("queue_backlog")), threshold_lines=True, w=6)),
        downsampled(timeseries(
            "Active processors by stage",
            "Workers busy on an item per stage, against the configured workers (dashed). " + DOWNSAMPLED_MAX,
            Unit.SHORT,
            [q(f"sum by (stage) ({sc.over_step('vv_pipeline_stage_active_processors')})", "{{stage}} busy"),
             q(f"sum by (stage) ({sc.over_step('vv_pipeline_stage_workers')})", "{{stage}} workers")],
            w=6)),
        row("Throughput and errors"),
        timeseries(
            "Videos completed by status",
            "Videos that went through the whole pipeline per second, by outcome. " + RECORDED,
            Unit.OPS, [q(f"sum by (status) ({sc.rec(R.counter_rate('vv_videos_processed_total'))})", "{{status}}")],
            stack=True, w=8),
        timeseries(
            "Stage throughput by status",
            "Items per second leaving each stage, by outcome (success, failure, corrupted). " + RECORDED,
            Unit.OPS, [q(f"sum by (stage, status) ({sc.rec(items)})", "{{stage}} {{status}}")],
            w=8),
        timeseries(
            "Error ratio by stage",
            "Share of a stage's items that failed (corrupted inputs are counted apart), over the sites "
            "selected. Red at pipeline.stage_error_ratio from vvdash.yaml, the stage error alert's threshold. "
            + RECORDED,
            Unit.PERCENT_UNIT,
            [q(f"sum by (stage) ({sc.rec(items, FAILED)}) / sum by (stage) ({sc.rec(items)})", "{{stage}}")],
            thresholds=error_th, threshold_lines=True, min=0, w=8),
        stat(
            "Files in corrupted/",
            "Inputs currently held in corrupted/ (unreadable or refused videos).",
            Unit.SHORT, [q(f"sum({sc.m('vv_files_in_corrupted')})", instant=True)], thresholds=above(1, 10), w=4, h=8),
        timeseries(
            "Corrupted inputs by reason",
            "Inputs moved to corrupted/ per second, by reason. " + RECORDED,
            Unit.OPS, [q(f"sum by (reason) ({sc.rec(R.counter_rate('vv_videos_corrupted_total'))})", "{{reason}}")],
            bars=True, w=10),
        timeseries(
            "Schema validation and signing errors",
            "Documents per second that failed their JSON schema, per stage, and logline HMAC signing errors. "
            + RECORDED,
            Unit.OPS,
            [q(f"sum by (stage) ({sc.rec(R.STAGE_SCHEMA_ERRORS_RATE)})", "{{stage}} schema"),
             q(f"sum({sc.rec(R.counter_rate('vv_logline_hmac_errors_total'))})", "logline hmac")],
            w=10),
        row("Latency"),
    ]
    for stage in STAGES:
        panels.append(recorded_resolution(timeseries(
            f"{stage.capitalize()} duration p50/p95/p99",
            f"Quantiles of the time the {stage} stage takes per item over the sites selected, from its "
            f"histogram's recorded bucket rates. " + RECORDED,
            Unit.SECONDS, [q(sc.quantile(R.STAGE_DURATION_BUCKET_RATE, quantile, extra=_stage(stage)), _legend(quantile))
                  for quantile in QUANTILES],
            w=8)))
    panels += [
        recorded_resolution(timeseries(
            "Whole-pipeline duration p50/p95/p99",
            "Time one video spends in scan, summarize and logline (waits for workers excluded), by quantile, "
            "over the sites selected. " + RECORDED,
            Unit.SECONDS, [q(sc.quantile(R.VIDEO_DURATION_BUCKET_RATE, quantile), _legend(quantile)) for quantile in QUANTILES],
            w=12)),
        recorded_resolution(heatmap(
            "Whole-pipeline duration distribution",
            "Videos per second per histogram bucket of the whole-pipeline duration over time. " + RECORDED,
            Unit.SECONDS, [q(sc.buckets(R.VIDEO_DURATION_BUCKET_RATE), "{{le}}", fmt="heatmap")],
            w=12)),
        recorded_resolution(timeseries(
            "Queue wait p50/p95/p99",
            "Time a claimed video waited for stage workers before and between its stages, by quantile, over the "
            "sites selected. " + RECORDED,
            Unit.SECONDS, [q(sc.quantile(R.QUEUE_WAIT_BUCKET_RATE, quantile), _legend(quantile)) for quantile in QUANTILES],
            w=12)),
        recorded_resolution(heatmap(
            "Scan duration distribution",
            "Videos per second per histogram bucket of the scan stage duration over time. " + RECORDED,
            Unit.SECONDS, [q(sc.buckets(R.STAGE_DURATION_BUCKET_RATE, extra=_stage("scan")), "{{le}}",
                    fmt="heatmap")],
            w=12)),
        recorded_resolution(heatmap(
            "Summarize duration distribution",
            "Analytics per second per histogram bucket of the summarize stage duration over time. " + RECORDED,
            Unit.SECONDS, [q(sc.buckets(R.STAGE_DURATION_BUCKET_RATE, extra=_stage("summarize")), "{{le}}",
                    fmt="heatmap")],
            w=12)),
        row("Scan detail"),
        timeseries(
            "Frames scanned",
            "Frames decoded and analysed by scan_video per second. " + RECORDED,
            Unit.PER_SECOND, [q(f"sum({sc.rec(R.counter_rate('vv_scan_video_frames_scanned_total'))})", "frames")], w=8),
        timeseries(
            "Detections by object type",
            "Objects detected per second by type, and faces. " + RECORDED,
            Unit.PER_SECOND,
            [q(f"sum by (object_type) ({sc.rec(R.counter_rate('vv_scan_video_objects_detected_total'))})",
               "{{object_type}}"),
             q(f"sum({sc.rec(R.counter_rate('vv_scan_video_faces_detected_total'))})", "faces")],
            w=16),
    ]
    return panels


def dashboard(inv):
    sc = Scope(jobs("agent_dvr", "orchestrator", "scan_video", "summarize_scene", "logline_generator"))
    return build(
        inv, module=__name__, title="VV / Video pipeline",
        description="The funnel input -> scan -> summarize -> logline: throughput, errors and latency per stage.",
        tags=("pipeline",), scope=sc, panels=_panels(inv, sc))
