"""Summarizer: inference latency and failures by backend, model not loaded."""

from __future__ import annotations

from rules import _records as R
from rules._common import DASHBOARD, RATE_WINDOW, number, runbook
from vvdash.jobs import selector
from vvdash.model.rules import Alert, Group, Record


def _records() -> list[Record]:
    sel = selector("summarize_scene")
    w = RATE_WINDOW
    out = [
        Record(R.INFERENCE_DURATION_QUANTILE,
               f"histogram_quantile({q}, sum by (site, job, backend, le) "
               f"(rate(vv_summarize_scene_bitnet_inference_duration_seconds_bucket{{{sel}}}[{w}])))",
               {"quantile": q})
        for q in R.QUANTILES
    ]
    out.append(Record(R.INFERENCE_DURATION_BUCKET_RATE,
                      f"sum by (site, job, backend, le) "
                      f"(rate(vv_summarize_scene_bitnet_inference_duration_seconds_bucket{{{sel}}}[{w}]))"))
    out.append(Record(
        R.INFERENCE_FAILURE_RATIO,
        f'sum by (site, job, backend) (rate(vv_summarize_scene_inferences_total{{{sel}, status="failure"}}[{w}]))\n'
        f"/\nsum by (site, job, backend) (rate(vv_summarize_scene_inferences_total{{{sel}}}[{w}]))"))
    return out


def _alerts(inv) -> list[Alert]:
    t = lambda key: inv.threshold("summarizer", key)  # noqa: E731
    sel = selector("summarize_scene")
    dash = DASHBOARD["summarizer"]
    return [
        Alert(
            "VVSummarizerInferenceSlow",
            f'{R.INFERENCE_DURATION_QUANTILE}{{quantile="0.95"}} > {number(t("inference_p95_seconds"))}',
            "warning", "Summarizer inference is slow.",
            "The 95th percentile of {{ $labels.backend }} inference at site {{ $labels.site }} is "
            "{{ $value | humanizeDuration }}.",
            dash, runbook(
                "Model inference takes longer than the threshold at the 95th percentile.",
                ["The host CPU or GPU saturated.", "A larger model configured.",
                 "The BitNet server overloaded or remote."],
                ["BitNet / summarizer dashboard: inference quantiles by backend.",
                 "Host dashboard: CPU and memory.", "pipeline.summarizer in vvdash.yaml."]),
            for_=t("for")),
        Alert(
            "VVSummarizerFailures",
            # Like the stage error alert: a ratio over a handful of inferences is noise.
            f"{R.INFERENCE_FAILURE_RATIO} > {number(t('failure_ratio'))}\n"
            f"and on (site, job, backend)\nsum by (site, job, backend) "
            f"(rate(vv_summarize_scene_inferences_total{{{sel}}}[{RATE_WINDOW}])) >= "
            f"{number(t('min_inferences_per_second'))}",
            "warning", "Summarizer inferences are failing.",
            "{{ $value | humanizePercentage }} of {{ $labels.backend }} inferences fail at site "
            "{{ $labels.site }}.",
            dash, runbook(
                "A high share of model inferences end in an error, with enough inferences to matter "
                "(summarizer.min_inferences_per_second).",
                ["The BitNet server down or timing out.", "Inputs the model cannot handle."],
                ["BitNet / summarizer dashboard: success and failure rate.", "summarize_scene log.",
                 "The BitNet server's health endpoint."]),
            for_=t("for")),
        Alert(
            "VVSummarizerModelNotLoaded",
            f"up{{{sel}}} == 1\nunless on (site, job, instance)\n"
            f"vv_summarize_scene_model_loaded_info{{{sel}}} == 1",
            "critical", "The summarizer runs without a loaded model.",
            "summarize_scene on {{ $labels.instance }} at site {{ $labels.site }} is up but reports no loaded "
            "model.",
            dash, runbook(
                "The summarizer service answers scrapes but has no model loaded, so every summary fails.",
                ["Model files missing.", "The BitNet backend unreachable at start.", "Out of memory while loading."],
                ["BitNet / summarizer dashboard: model info.", "summarize_scene log from its start.",
                 "pipeline.summarizer.backend and bitnet_url in vvdash.yaml."]),
            for_=t("for")),
    ]


def groups(inv) -> list[Group]:
    return [Group("vv_summarizer_records", tuple(_records())), Group("vv_summarizer_alerts", tuple(_alerts(inv)))]
