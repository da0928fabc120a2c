"""Summarizer: inference latency and failures by backend, model not loaded."""

from __future__ import annotations

from rules._common import RATE_WINDOW, number, runbook
from shared import records as R
from shared.dashboards import uid as dashboard_uid
from vvdash.jobs import selector
from vvdash.model.rules import Alert, Group, Record, Severity


def _records() -> list[Record]:
    sel = selector("summarize_scene")
    w = RATE_WINDOW
    out = [
        Record(record=R.INFERENCE_DURATION_QUANTILE,
               expr=f"histogram_quantile({q}, sum by (site, job, backend, le) "
               f"(rate(vv_summarize_scene_bitnet_inference_duration_seconds_bucket{{{sel}}}[{w}])))",
               labels={"quantile": q})
        for q in R.QUANTILES
    ]
    out.append(Record(record=R.INFERENCE_DURATION_BUCKET_RATE,
                      expr=f"sum by (site, job, backend, le) "
                      f"(rate(vv_summarize_scene_bitnet_inference_duration_seconds_bucket{{{sel}}}[{w}]))"))
    out.append(Record(
        record=R.INFERENCE_FAILURE_RATIO,
        expr=f'sum by (site, job, backend) (rate(vv_summarize_scene_inferences_total{{{sel}, status="failure"}}[{w}]))\n'
        f"/\nsum by (site, job, backend) (rate(vv_summarize_scene_inferences_total{{{sel}}}[{w}]))"))
    return out


def _alerts(inv) -> list[Alert]:
    t = inv.thresholds("summarizer")
    sel = selector("summarize_scene")
    dash = dashboard_uid("summarizer")
    return [
        Alert(
            alert="VVSummarizerInferenceSlow",
            expr=f'{R.INFERENCE_DURATION_QUANTILE}{{quantile="0.95"}} > {number(t("inference_p95_seconds"))}',
            severity=Severity.WARNING, summary="Summarizer inference is slow.",
            description="The 95th percentile of {{ $labels.backend }} inference at site {{ $labels.site }} is "
            "{{ $value | humanizeDuration }}.",
            dashboard=dash, runbook=runbook(
                "Model inference takes longer than the threshold at the 95th percentile.",
                ["The host CPU or GPU saturated.", "A larger model configured.",
                 "The BitNet server overloaded or remote."],
                ["BitNet / summarizer dashboard: inference quantiles by backend.",
                 "Host dashboard: CPU and memory.", "pipeline.summarizer in vvdash.yaml."]),
            for_=t("for")),
        Alert(
            alert="VVSummarizerFailures",
            # Like the stage error alert: a ratio over a handful of inferences is noise.
            expr=f"{R.INFERENCE_FAILURE_RATIO} > {number(t('failure_ratio'))}\n"
            f"and on (site, job, backend)\nsum by (site, job, backend) "
            f"(rate(vv_summarize_scene_inferences_total{{{sel}}}[{RATE_WINDOW}])) >= "
            f"{number(t('min_inferences_per_second'))}",
            severity=Severity.WARNING, summary="Summarizer inferences are failing.",
            description="{{ $value | humanizePercentage }} of {{ $labels.backend }} inferences fail at site "
            "{{ $labels.site }}.",
            dashboard=dash, runbook=runbook(
                "A high share of model inferences end in an error, with enough inferences to matter "
                "(summarizer.min_inferences_per_second).",
                ["The BitNet server down or timing out.", "Inputs the model cannot handle."],
                ["BitNet / summarizer dashboard: success and failure rate.", "summarize_scene log.",
                 "The BitNet server's health endpoint."]),
            for_=t("for")),
        Alert(
            alert="VVSummarizerModelNotLoaded",
            expr=f"up{{{sel}}} == 1\nunless on (site, job, instance)\n"
            f"vv_summarize_scene_model_loaded_info{{{sel}}} == 1",
            severity=Severity.CRITICAL, summary="The summarizer runs without a loaded model.",
            description="summarize_scene on {{ $labels.instance }} at site {{ $labels.site }} is up but reports no loaded "
            "model.",
            dashboard=dash, runbook=runbook(
                "The summarizer service answers scrapes but has no model loaded, so every summary fails.",
                ["Model files missing.", "The BitNet backend unreachable at start.", "Out of memory while loading."],
                ["BitNet / summarizer dashboard: model info.", "summarize_scene log from its start.",
                 "pipeline.summarizer.backend and bitnet_url in vvdash.yaml."]),
            for_=t("for")),
    ]


def groups(inv) -> list[Group]:
    return [Group(name="vv_summarizer_records", rules=tuple(_records())), Group(name="vv_summarizer_alerts", rules=tuple(_alerts(inv)))]
