"""Pipeline: per-stage rates, error ratios and latency, the success SLO, and the pipeline's alerts."""

from __future__ import annotations

from rules._common import RATE_WINDOW, AlertTexts, number, STAGES
from shared import records as R
from shared.dashboards import uid as dashboard_uid
from shared.exprs import input_queue
from vvdash.jobs import selector
from vvdash.model.rules import Alert, Group, Record, Severity
from vvdash.slo import PAGE_BURNS, TICKET_BURNS

alert = AlertTexts(__name__)

# Per stage: (outcome counter, duration histogram, schema-validation error counter).
STAGE_METRICS = {
    "scan": ("vv_scan_video_processed_total", "vv_scan_video_duration_seconds",
             "vv_scan_video_schema_validation_errors_total"),
    "summarize": ("vv_summarize_scene_processed_total", "vv_summarize_scene_duration_seconds",
                  "vv_summarize_scene_schema_validation_errors_total"),
    "logline": ("vv_logline_generated_total", "vv_logline_generation_duration_seconds",
                "vv_logline_schema_validation_errors_total"),
}



def _stage_records() -> list[Record]:
    w = RATE_WINDOW
    out = []
    for stage, (counter, _, _) in STAGE_METRICS.items():
        sel = selector(STAGES[stage])
        out.append(Record(record=R.STAGE_ITEMS_RATE, expr=f"sum by (site, job, status) (rate({counter}{{{sel}}}[{w}]))",
                          labels={"stage": stage}))
    out.append(Record(
        record=R.STAGE_ERROR_RATIO,
        expr=f'sum by (site, job, stage) ({R.STAGE_ITEMS_RATE}{{status="failure"}})\n'
        f"/\nsum by (site, job, stage) ({R.STAGE_ITEMS_RATE})"))
    for stage, (_, histogram, _) in STAGE_METRICS.items():
        sel = selector(STAGES[stage])
        for q in R.QUANTILES:
            out.append(Record(
                record=R.STAGE_DURATION_QUANTILE,
                expr=f"histogram_quantile({q}, sum by (site, job, le) (rate({histogram}_bucket{{{sel}}}[{w}])))",
                labels={"stage": stage, "quantile": q}))
    for stage, (_, histogram, _) in STAGE_METRICS.items():
        sel = selector(STAGES[stage])
        out.append(Record(record=R.STAGE_DURATION_BUCKET_RATE,
                          expr=f"sum by (site, job, le) (rate({histogram}_bucket{{{sel}}}[{w}]))", labels={"stage": stage}))
    for stage, (_, _, schema_errors) in STAGE_METRICS.items():
        sel = selector(STAGES[stage])
        out.append(Record(record=R.STAGE_SCHEMA_ERRORS_RATE,
                          expr=f"sum by (site, job) (rate({schema_errors}{{{sel}}}[{w}]))", labels={"stage": stage}))
    return out


def _slo_records() -> list[Record]:
    sel = selector("orchestrator")
    out = [
        Record(record=R.slo_error_ratio(window),
               expr=f'sum by (site, job) (rate(vv_videos_processed_total{{{sel}, status="failure"}}[{window}]))\n'
               f"/\nsum by (site, job) (rate(vv_videos_processed_total{{{sel}}}[{window}]))")
        for window in R.SLO_WINDOWS
    ]
    out.append(Record(record=R.VIDEO_DURATION_BUCKET_RATE,
                      expr=f"sum by (site, job, le) (rate(vv_video_processing_duration_seconds_bucket{{{sel}}}"
                      f"[{RATE_WINDOW}]))"))
    out.append(Record(record=R.QUEUE_WAIT_BUCKET_RATE,
                      expr=f"sum by (site, job, le) (rate(vv_video_queue_wait_seconds_bucket{{{sel}}}[{RATE_WINDOW}]))"))
    for q in R.QUANTILES:
        out.append(Record(
            record=R.VIDEO_DURATION_QUANTILE,
            expr=f"histogram_quantile({q}, sum by (site, job, le) "
            f"(rate(vv_video_processing_duration_seconds_bucket{{{sel}}}[{RATE_WINDOW}])))",
            labels={"quantile": q}))
    return out


def _burn(pairs, budget: float) -> str:
    parts = []
    for long, short, factor in pairs:
        limit = number(factor * budget)
        parts.append(f"(\n  {R.slo_error_ratio(long)} > {limit}\nand\n  {R.slo_error_ratio(short)} > {limit}\n)")
    return "\nor\n".join(parts)


def _alerts(inv) -> list[Alert]:
    t = inv.thresholds("pipeline")
    orch = selector("orchestrator")
    budget = 1 - t("slo_target")
    stalled = t("stalled_for")
    dash = dashboard_uid("pipeline")
    slo = {"slo_percent": number(t("slo_target") * 100)}
    return [
        alert(alert="VVPipelineStageErrorRatioHigh", severity=Severity.WARNING, for_=t("for"), dashboard=dash,
              expr=f"{R.STAGE_ERROR_RATIO} > {number(t('stage_error_ratio'))}\n"
                   f"and on (site, job, stage)\nsum by (site, job, stage) ({R.STAGE_ITEMS_RATE}) "
                   f">= {number(t('min_items_per_second'))}",
              values={"stage_error_percent": number(t('stage_error_ratio') * 100)}),
        alert(alert="VVPipelineInputBacklogGrowing", severity=Severity.WARNING, for_=t("for"), dashboard=dash,
              expr=f"{input_queue()} > {t('queue_backlog')}\n"
                   f"and\nmax by (site, job) (delta(vv_videos_in_input_queue{{{orch}}}[{t('for')}])) > 0"),
        alert(alert="VVPipelineStalled", severity=Severity.CRITICAL, for_="0s", dashboard=dash,
              expr=f"{input_queue()} > 0\n"
                   f"and on (site, job)\nsum by (site, job) (increase(vv_videos_processed_total{{{orch}}}[{stalled}])) == 0",
              values={"stalled": stalled}),
        alert(alert="VVPipelineCorruptedFilesIncreasing", severity=Severity.WARNING, dashboard=dash,
              expr=f"sum by (site, job) (increase(vv_videos_corrupted_total{{{orch}}}[{t('for')}])) > 0",
              values={"for": t('for')}),
        alert(alert="VVPipelineSchemaValidationErrors", severity=Severity.WARNING, dashboard=dash,
              expr=f"{R.STAGE_SCHEMA_ERRORS_RATE} * 60 > 0"),
        alert(alert="VVLoglineHmacSigningErrors", severity=Severity.CRITICAL, dashboard=dash,
              expr=f"sum by (site, job) (increase(vv_logline_hmac_errors_total{{{selector('logline_generator')}}}"
                   f"[{RATE_WINDOW}])) > 0",
              values={"window": RATE_WINDOW}),
        alert(alert="VVPipelineErrorBudgetBurn", severity=Severity.CRITICAL, dashboard=dash, text="VVPipelineErrorBudgetBurn critical",
              expr=_burn(PAGE_BURNS, budget),
              values=slo),
        alert(alert="VVPipelineErrorBudgetBurn", severity=Severity.WARNING, dashboard=dash, text="VVPipelineErrorBudgetBurn warning",
              expr=_burn(TICKET_BURNS, budget),
              values=slo),
    ]


def groups(inv) -> list[Group]:
    return [
        Group(name="vv_pipeline_stage_records", rules=tuple(_stage_records())),
        Group(name="vv_pipeline_slo_records", rules=tuple(_slo_records())),
        Group(name="vv_pipeline_alerts", rules=tuple(_alerts(inv))),
    ]


