"""VV overview: the few numbers that say whether the system is healthy, and what is firing."""

from dashboards._common import (
    DOWNSAMPLED_MAX, DOWNSAMPLED_MIN, FAILED, RECORDED, UP_DOWN, Scope, above, below, build, downsampled, drilldown,
    narrow, q, row, scoped, service_health, stat, state_timeline, table, timeseries,
)
from shared import exprs
from shared import records as R
from vvdash.inventory import duration_seconds
from vvdash.model.dashboards import Unit

# Where each headline number is explained in detail.
DRILLDOWN = {
    "Videos in input queue": "pipeline", "Throughput": "pipeline", "Error ratio": "pipeline",
    "Files in corrupted/": "pipeline", "Storage free": "storage", "Time until storage full": "storage",
    "Scrape targets up/down": "host", "Services by self_monitor's health probe": "maintenance",
    "DVRs connected": "tv_dvr",
}


def _panels(inv, sc: Scope) -> list:
    pipe = inv.thresholds("pipeline")
    storage = inv.thresholds("storage")
    storage_sel = exprs.storage_selector(inv)
    done = sc.rec(R.counter_rate("vv_videos_processed_total"))
    failed = sc.rec(R.counter_rate("vv_videos_processed_total"), FAILED)
    return [
        row("Pipeline"),
        stat("Videos in input queue",
             "Videos waiting in input/. Red at pipeline.queue_backlog, the backlog alert's threshold.",
             Unit.SHORT, [q(f"sum({scoped(exprs.input_queue(), 'orchestrator', sc)})", instant=True)],
             thresholds=above(pipe("queue_backlog") / 2, pipe("queue_backlog"))),
        stat("Throughput",
             "Videos completed per second over the whole pipeline in the last 5 minutes (the recorded rate). "
             "Red below pipeline.min_items_per_second.",
             Unit.OPS, [q(f"sum({done})", instant=True)], thresholds=below(pipe("min_items_per_second"))),
        stat("Error ratio",
             "Share of videos whose processing failed (corrupted inputs apart) in the last 5 minutes, over the "
             "sites selected. Red at pipeline.stage_error_ratio.",
             Unit.PERCENT_UNIT, [q(f"sum({failed}) / sum({done})", instant=True)],
             thresholds=above(pipe("stage_error_ratio") / 2, pipe("stage_error_ratio"))),
        stat("Files in corrupted/",
             "Inputs currently held in corrupted/. Orange at pipeline.corrupted_files_warning, red at "
             "pipeline.corrupted_files_critical.", Unit.SHORT, [q(f"sum({sc.m('vv_files_in_corrupted')})", instant=True)],
             thresholds=above(pipe("corrupted_files_warning"), pipe("corrupted_files_critical"))),
        stat("Storage free",
             "Free share of the filesystem holding VIDEO_STORAGE_ROOT. Red below "
             "storage.almost_full_free_ratio, orange below storage.fill_free_floor_ratio.",
             Unit.PERCENT_UNIT, [q(f"min({narrow(exprs.storage_free_ratio(inv), storage_sel, sc)})", instant=True)],
             thresholds=below(storage("almost_full_free_ratio"), storage("fill_free_floor_ratio"))),
        stat("Time until storage full",
             "At the fill rate of the last storage.predict_window; no value while the disk is not filling. "
             "Red under storage.fill_critical_horizon, orange under storage.fill_warning_horizon "
             "(the disk-exhaustion alert's horizons).",
             Unit.SECONDS, [q(f"min({narrow(exprs.seconds_until_full(inv), storage_sel, sc)})", instant=True)],
             thresholds=below(duration_seconds(storage("fill_critical_horizon")),
                              duration_seconds(storage("fill_warning_horizon"))), graph=False,
             no_value="Not filling"),
        timeseries("Videos completed by status",
                   "Videos per second through the whole pipeline, by outcome. " + RECORDED,
                   Unit.OPS, [q(f"sum by (status) ({done})", "{{status}}")], stack=True, w=12),
        downsampled(timeseries("Input queue depth",
                   "Videos waiting in input/, per site. " + DOWNSAMPLED_MAX,
                   Unit.SHORT, [q(f"sum by (site) ({sc.over_step('vv_videos_in_input_queue')})", "{{site}}")],
                   thresholds=above(pipe("queue_backlog") / 2, pipe("queue_backlog")), threshold_lines=True,
                   w=12)),
        row("Services"),
        downsampled(state_timeline("Scrape targets up/down",
                       "1 when Prometheus' scrapes of the target succeeded, per job and instance. " + DOWNSAMPLED_MIN,
                       Unit.NONE, [q(f"max by (job, instance) ({sc.over_step('up')})", "{{job}} {{instance}}")],
                       mappings=UP_DOWN, h=8)),
        service_health("Services by self_monitor's health probe", sc),
        stat("DVRs connected",
             "DVRs agent_dvr is connected to, out of those it knows.", Unit.SHORT,
             [q(f"sum({sc.m('vv_agent_dvr_connection_status')})", instant=True)], thresholds=below(1), w=4, h=6),
        row("Alerts"),
        stat("Firing alerts",
             "Alerts firing in Prometheus now (all sites).", Unit.SHORT,
             [q('count(ALERTS{alertstate="firing"}) or vector(0)', instant=True)],
             thresholds=above(1), graph=False, w=4, h=8),
        table("Firing alerts by name",
              "Every firing alert with its severity and site, from Prometheus' ALERTS series.",
              Unit.NONE, [q('sum by (alertname, severity, site) (ALERTS{alertstate="firing"})', instant=True,
                         fmt="table")],
              exclude=("Time", "Value"), w=20, h=8),
    ]


def dashboard(inv):
    sc = Scope()
    return build(
        inv, module=__name__, title="VV / Overview",
        description="Queue depth, throughput, error ratio, storage, service health and firing alerts.",
        tags=("overview",), scope=sc,
        panels=[drilldown(p, DRILLDOWN[p.title]) if p.title in DRILLDOWN else p for p in _panels(inv, sc)])
