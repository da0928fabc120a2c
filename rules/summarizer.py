"""Summarizer: inference latency and failures by backend, model not loaded."""

from __future__ import annotations

from rules._common import RATE_WINDOW, AlertTexts, number
from shared import records as R
from shared.dashboards import uid as dashboard_uid
from vvdash.jobs import selector
from vvdash.model.rules import Alert, Group, Record, Severity

alert = AlertTexts(__name__)


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
        alert(alert="VVSummarizerInferenceSlow", severity=Severity.WARNING, for_=t("for"), dashboard=dash,
              expr=f'{R.INFERENCE_DURATION_QUANTILE}{{quantile="0.95"}} > {number(t("inference_p95_seconds"))}'),
        alert(alert="VVSummarizerFailures", severity=Severity.WARNING, for_=t("for"), dashboard=dash,
              expr=f"{R.INFERENCE_FAILURE_RATIO} > {number(t('failure_ratio'))}\n"
                   f"and on (site, job, backend)\nsum by (site, job, backend) "
                   f"(rate(vv_summarize_scene_inferences_total{{{sel}}}[{RATE_WINDOW}])) >= "
                   f"{number(t('min_inferences_per_second'))}"),
        alert(alert="VVSummarizerModelNotLoaded", severity=Severity.CRITICAL, for_=t("for"), dashboard=dash,
              expr=f"up{{{sel}}} == 1\nunless on (site, job, instance)\n"
                   f"vv_summarize_scene_model_loaded_info{{{sel}}} == 1"),
    ]


def groups(inv) -> list[Group]:
    return [Group(name="vv_summarizer_records", rules=tuple(_records())), Group(name="vv_summarizer_alerts", rules=tuple(_alerts(inv)))]
