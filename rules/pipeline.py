"""Pipeline: per-stage rates, error ratios and latency, the success SLO, and the pipeline's alerts."""

from __future__ import annotations

from rules._common import RATE_WINDOW, STAGES, number, runbook
from shared import records as R
from shared.dashboards import uid as dashboard_uid
from shared.exprs import input_queue
from vvdash.jobs import selector
from vvdash.model.rules import Alert, Group, Record, Severity
from vvdash.slo import PAGE_BURNS, TICKET_BURNS

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
    burn_book = runbook(
        "Videos are failing fast enough to use up the pipeline's error budget "
        f"(SLO {number(t('slo_target') * 100)}% of videos processed successfully).",
        ["A stage failing on most inputs (see the stage error ratios).",
         "Corrupted or unreadable segments from a DVR.",
         "The summarizer backend or the HMAC key unavailable."],
        ["Pipeline dashboard: error ratio per stage, corrupted files.",
         "Logs of the failing stage's service.",
         "Recent changes to the inventory, schemas or models."])
    return [
        Alert(
            alert="VVPipelineStageErrorRatioHigh",
            expr=f"{R.STAGE_ERROR_RATIO} > {number(t('stage_error_ratio'))}\n"
            f"and on (site, job, stage)\nsum by (site, job, stage) ({R.STAGE_ITEMS_RATE}) "
            f">= {number(t('min_items_per_second'))}",
            severity=Severity.WARNING, summary="A pipeline stage is failing on too many items.",
            description="Stage {{ $labels.stage }} at site {{ $labels.site }} fails on {{ $value | humanizePercentage }} "
            f"of its items (threshold {number(t('stage_error_ratio') * 100)}%).",
            dashboard=dash, runbook=runbook(
                "The share of items one stage fails on is over the threshold, with enough traffic to matter.",
                ["Malformed input segments.", "A schema change the stage does not follow.",
                 "A dependency of the stage (model backend, storage) failing."],
                ["Pipeline dashboard: per-stage error ratio and throughput.",
                 "The stage service's log for the failure reason.",
                 "corrupted/ for the inputs that failed."]),
            for_=t("for")),
        Alert(
            alert="VVPipelineInputBacklogGrowing",
            expr=f"{input_queue()} > {t('queue_backlog')}\n"
            f"and\nmax by (site, job) (delta(vv_videos_in_input_queue{{{orch}}}[{t('for')}])) > 0",
            severity=Severity.WARNING, summary="The pipeline input queue is long and still growing.",
            description="{{ $value }} videos wait in input/ at site {{ $labels.site }} and the queue keeps growing.",
            dashboard=dash, runbook=runbook(
                "Segments arrive faster than the pipeline processes them.",
                ["Too few workers for the DVR load.", "A slow stage (summarizer inference).",
                 "More DVRs or higher segment rates than planned."],
                ["Pipeline dashboard: queue depth, per-stage throughput and latency.",
                 "pipeline.workers in vvdash.yaml.", "Host dashboard: CPU saturation."]),
            for_=t("for")),
        Alert(
            alert="VVPipelineStalled",
            expr=f"{input_queue()} > 0\n"
            f"and on (site, job)\nsum by (site, job) (increase(vv_videos_processed_total{{{orch}}}[{stalled}])) == 0",
            severity=Severity.CRITICAL, summary="The pipeline has stopped processing videos.",
            description="{{ $value }} videos wait in input/ at site {{ $labels.site }} and none finished processing "
            f"in the last {stalled}.",
            dashboard=dash, runbook=runbook(
                "Videos are queued but the pipeline finished none of them within the window.",
                ["The orchestrator or a stage service hung or crashed.", "Storage not writable.",
                 "A stage waiting forever on the summarizer backend."],
                ["Overview dashboard: service up/down.", "Orchestrator log.",
                 "Free space and read-only state of the storage mount."]),
            for_="0s"),
        Alert(
            alert="VVPipelineCorruptedFilesIncreasing",
            expr=f"sum by (site, job) (increase(vv_videos_corrupted_total{{{orch}}}[{t('for')}])) > 0",
            severity=Severity.WARNING, summary="Input videos are being moved to corrupted/.",
            description="{{ $value | humanize }} videos were moved to corrupted/ at site {{ $labels.site }} "
            f"in the last {t('for')}.",
            dashboard=dash, runbook=runbook(
                "The orchestrator is rejecting inputs it cannot read.",
                ["A DVR writing truncated segments.", "Disk errors.", "A codec the reader lacks."],
                ["Pipeline dashboard: corrupted files by reason.", "A sample file from corrupted/.",
                 "The DVR's connection errors."])),
        Alert(
            alert="VVPipelineSchemaValidationErrors",
            expr=f"{R.STAGE_SCHEMA_ERRORS_RATE} * 60 > 0",
            severity=Severity.WARNING, summary="A pipeline stage is producing documents that fail schema validation.",
            description="Stage {{ $labels.stage }} at site {{ $labels.site }} has {{ $value | humanize }} "
            "schema validation errors per minute.",
            dashboard=dash, runbook=runbook(
                "A stage wrote or received a JSON document that does not match its schema.",
                ["A stage and its schema out of step after an upgrade.", "A bug producing partial documents."],
                ["Pipeline dashboard: schema validation errors.", "The stage's log names the failing field.",
                 "pipeline/schemas/ for the expected shape."])),
        Alert(
            alert="VVLoglineHmacSigningErrors",
            expr=f"sum by (site, job) (increase(vv_logline_hmac_errors_total{{{selector('logline_generator')}}}"
            f"[{RATE_WINDOW}])) > 0",
            severity=Severity.CRITICAL, summary="Loglines cannot be signed.",
            description="{{ $value | humanize }} loglines failed HMAC signing at site {{ $labels.site }} "
            f"in the last {RATE_WINDOW}.",
            dashboard=dash, runbook=runbook(
                "The logline generator fails to sign loglines; the TV scheduler rejects unsigned ones.",
                ["VV_HMAC_KEY unset or unreadable.", "The key file replaced with an empty one."],
                ["logline_generator log.", "pipeline.hmac_key in vvdash.yaml and the referenced env/file.",
                 "TV scheduler dashboard: rejected loglines."])),
        Alert(
            alert="VVPipelineErrorBudgetBurn", expr=_burn(PAGE_BURNS, budget),
            severity=Severity.CRITICAL, summary="The pipeline is burning its error budget fast.",
            description="At site {{ $labels.site }} {{ $value | humanizePercentage }} of videos fail; "
            "at this rate the 30-day error budget is gone within days.",
            dashboard=dash, runbook=burn_book),
        Alert(
            alert="VVPipelineErrorBudgetBurn", expr=_burn(TICKET_BURNS, budget),
            severity=Severity.WARNING, summary="The pipeline is burning its error budget.",
            description="At site {{ $labels.site }} {{ $value | humanizePercentage }} of videos fail, "
            "more than the SLO allows over the long window.",
            dashboard=dash, runbook=burn_book),
    ]


def groups(inv) -> list[Group]:
    return [
        Group(name="vv_pipeline_stage_records", rules=tuple(_stage_records())),
        Group(name="vv_pipeline_slo_records", rules=tuple(_slo_records())),
        Group(name="vv_pipeline_alerts", rules=tuple(_alerts(inv))),
    ]


