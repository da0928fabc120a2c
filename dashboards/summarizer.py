"""BitNet / summarizer: inference latency by backend, success and failure, model, CPU, memory, GPU."""

from dashboards._common import (
    COPIED_RATE, DOWNSAMPLED_MAX, FAILED, RECORDED, Scope, above, below, build, downsampled, gauge, heatmap, jobs, q,
    recorded_resolution, row, stat, table, timeseries,
)
from shared import records as R
from vvdash.jobs import selector
from vvdash.model.dashboards import Unit

QUANTILES = ("0.5", "0.95", "0.99")
# This dashboard's resource panels are about the summarizer's own process, whatever the job variable says.
OWN = selector("summarize_scene")


def _panels(inv, sc: Scope) -> list:
    th = inv.thresholds("summarizer")
    p95 = th("inference_p95_seconds")
    inferences = sc.rec(R.counter_rate("vv_summarize_scene_inferences_total"))
    failed = sc.rec(R.counter_rate("vv_summarize_scene_inferences_total"), FAILED)
    summarize = f'{OWN}, stage="summarize"'
    return [
        row("Inference"),
        recorded_resolution(timeseries("Inference duration by backend",
                   "p50/p95/p99 of one model inference, per backend (builtin or bitnet). Red at "
                   "summarizer.inference_p95_seconds, the slow-inference alert's threshold. " + RECORDED,
                   Unit.SECONDS, [q(sc.quantile(R.INFERENCE_DURATION_BUCKET_RATE, quantile, by="backend"),
                           f"{{{{backend}}}} p{float(quantile) * 100:g}") for quantile in QUANTILES],
                   thresholds=above(p95 / 2, p95), threshold_lines=True, w=12)),
        recorded_resolution(heatmap("Inference duration distribution",
                "Inferences per second per histogram bucket over time, all backends. " + RECORDED,
                Unit.SECONDS, [q(sc.buckets(R.INFERENCE_DURATION_BUCKET_RATE), "{{le}}", fmt="heatmap")], w=12)),
        timeseries("Inferences by backend and status",
                   "Model inferences per second, by backend and outcome. " + RECORDED,
                   Unit.OPS, [q(f"sum by (backend, status) ({inferences})", "{{backend}} {{status}}")],
                   stack=True, w=8),
        timeseries("Inference failure ratio by backend",
                   "Share of inferences that failed, per backend, over the sites selected. Red at "
                   "summarizer.failure_ratio. " + RECORDED,
                   Unit.PERCENT_UNIT, [q(f"sum by (backend) ({failed}) / sum by (backend) ({inferences})",
                                     "{{backend}}")],
                   thresholds=above(th("failure_ratio") / 2, th("failure_ratio")), threshold_lines=True,
                   min=0, w=8),
        timeseries("Summaries by status",
                   "Analytics summarized per second by outcome, and summary documents failing their schema. "
                   + RECORDED,
                   Unit.OPS, [q(f"sum by (status) ({sc.rec(R.STAGE_ITEMS_RATE, summarize)})", "{{status}}"),
                           q(f"sum({sc.rec(R.STAGE_SCHEMA_ERRORS_RATE, summarize)})", "schema errors")],
                   w=8),
        table("Loaded model",
              "The model each summarizer instance has loaded (1 while loaded), by backend, name and version.",
              Unit.NONE, [q(f"max by (instance, backend, model_name, model_version) "
                         f"({sc.m('vv_summarize_scene_model_loaded_info')})", instant=True, fmt="table")],
              exclude=("Time",), w=16, h=6),
        stat("Models loaded",
             "Summarizer instances with a model loaded. Red at zero: summaries cannot be written.",
             Unit.SHORT, [q(f"sum({sc.m('vv_summarize_scene_model_loaded_info')})", instant=True)],
             thresholds=below(1), w=8, h=6),
        row("Resources"),
        downsampled(timeseries("Summarizer CPU",
                   "CPU seconds per second used by the summarize_scene process (1 = one core). " + COPIED_RATE,
                   Unit.PERCENT_UNIT, [q(f"sum by (instance) ({sc.copy_over_step(R.PROCESS_CPU_RATE, OWN)})",
                                     "{{instance}}")], min=0, w=8)),
        downsampled(timeseries("Summarizer memory",
                   "Resident memory of the summarize_scene process. " + DOWNSAMPLED_MAX,
                   Unit.BYTES, [q(f"sum by (instance) ({sc.over_step('process_resident_memory_bytes', OWN)})",
                               "{{instance}}")],
                   min=0, w=8)),
        gauge("GPU utilisation",
              "GPU utilisation per GPU (0-1). Empty where no GPU is present: the series only exist with a GPU.",
              Unit.PERCENT_UNIT, [q(f"max by (gpu) ({sc.m('vv_summarize_scene_gpu_utilization_ratio')})", "{{gpu}}",
                               instant=True)],
              thresholds=above(0.8, 0.95), min=0, max=1, w=4, h=8),
        downsampled(timeseries("GPU memory used",
                   "GPU memory in use per GPU. Empty where no GPU is present. " + DOWNSAMPLED_MAX,
                   Unit.BYTES, [q(f"max by (gpu) ({sc.over_step('vv_summarize_scene_gpu_memory_used_bytes')})", "{{gpu}}")],
                   min=0, w=4)),
    ]


def dashboard(inv):
    sc = Scope(jobs("summarize_scene"))
    return build(
        inv, module=__name__, title="VV / BitNet summarizer",
        description="Inference duration and outcome by backend, the loaded model, CPU, memory and GPU.",
        tags=("summarizer", "bitnet"), scope=sc, panels=_panels(inv, sc))
