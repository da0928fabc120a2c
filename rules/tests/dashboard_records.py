"""Scenarios for the records the dashboards read: counter rates (rules/dashboard_rates.py), per-site
bucket rates and the fleet rollups of those and of the rates (rules/fleet.py), host and process rates (rules/host.py) and
the storage prediction records (rules/storage.py).

Each input is a steady counter or a straight line, so a record's value is known exactly: a rate
summed over the label it drops, a bucket rate summed over sites, an idle share averaged over CPUs.
"""

from __future__ import annotations

from rules._common import RATE_WINDOW, STAGES
from rules.pipeline import STAGE_METRICS
from shared import records as R
from vvdash import catalog
from vvdash.inventory import duration_seconds
from vvdash.scenarios import Scenario, Series, close, counter, seconds

RULE_FILES = ("dashboard_rates", "dvr", "fleet", "host", "pipeline", "scheduler", "storage", "summarizer")
W = seconds(RATE_WINDOW)
OTHER_SITE = "far-site"      # a second site, so a fleet rollup has two sites to add up


def _sel(name: str, **matchers) -> str:
    return name + "{" + ", ".join(f'{k}="{v}"' for k, v in matchers.items()) + "}"


def _at(ctx) -> float:
    return ctx.clock.eval_after(W + ctx.clock.step)


def _counter_rates(ctx) -> list[Scenario]:
    cat = catalog.load()
    series, checks = [], []
    at = _at(ctx)
    for metric, labels in R.COUNTER_RATES.items():
        component = cat[metric].component
        kept = {label: f"{label}-1" for label in labels}
        # Two instances of the same labels: the record sums them (0.25 + 0.5 a second); another
        # site's 1 a second joins them in the fleet rollup.
        for instance, per_second in (("a:1", 0.25), ("b:1", 0.5)):
            series.append(Series(metric, {**ctx.labels(component, **kept), "instance": instance}, counter(per_second)))
        series.append(Series(metric, {**ctx.labels(component, **kept), "site": OTHER_SITE}, counter(1.0)))
        target = {"site": ctx.site["name"], "job": ctx.labels(component)["job"], **kept}
        checks.append(close(at, _sel(R.counter_rate(metric), site=ctx.site["name"]), target, 0.75))
        checks.append(close(at, R.fleet(R.counter_rate(metric)), {"job": target["job"], **kept}, 1.75))
    return [Scenario(R.counter_rate("vv_videos_processed_total"), "expression",
                     "each dashboard counter rate, summed over instances, and over sites for the fleet", (),
                     tuple(series), tuple(checks))]


def _stage_rates(ctx) -> list[Scenario]:
    """The stage item and schema-error rates summed over sites: the fleet rollups the dashboards read."""
    at = _at(ctx)
    series, checks = [], []
    for stage, (counter_name, _, schema) in STAGE_METRICS.items():
        labels = ctx.labels(STAGES[stage])
        for site, per_second in ((labels["site"], 0.5), (OTHER_SITE, 1.0)):
            series.append(Series(counter_name, {**labels, "site": site, "status": "success"}, counter(per_second)))
            series.append(Series(schema, {**labels, "site": site}, counter(per_second / 10)))
        checks.append(close(at, _sel(R.fleet(R.STAGE_ITEMS_RATE), stage=stage),
                            {"job": labels["job"], "stage": stage, "status": "success"}, 1.5))
        checks.append(close(at, _sel(R.fleet(R.STAGE_SCHEMA_ERRORS_RATE), stage=stage),
                            {"job": labels["job"], "stage": stage}, 0.15))
    return [Scenario(R.fleet(R.STAGE_ITEMS_RATE), "expression", "stage rates of two sites added up", (),
                     tuple(series), tuple(checks))]


def _bucket_series(metric: str, labels: dict, per_second: float) -> list[Series]:
    """Every observation under 1 (s): le=1 and +Inf grow alike, le=0.1 stays 0."""
    return [Series(f"{metric}_bucket", {**labels, "le": "0.1"}, counter(0.0)),
            Series(f"{metric}_bucket", {**labels, "le": "1"}, counter(per_second)),
            Series(f"{metric}_bucket", {**labels, "le": "+Inf"}, counter(per_second))]


def _bucket_rates(ctx) -> list[Scenario]:
    """Per-site bucket rates (summed over instances and the labels they drop), the fleet rollups
    summing two sites, and the fleet's quantiles from them."""
    at = _at(ctx)
    here = ctx.site["name"]
    # record, histogram, component, labels kept beyond site/job, labels dropped
    cases = [(R.STAGE_DURATION_BUCKET_RATE, STAGE_METRICS[stage][1], STAGES[stage], {}, {}, {"stage": stage})
             for stage in STAGE_METRICS]
    cases += [
        (R.VIDEO_DURATION_BUCKET_RATE, "vv_video_processing_duration_seconds", "orchestrator", {},
         {"status": "success"}, {}),
        (R.QUEUE_WAIT_BUCKET_RATE, "vv_video_queue_wait_seconds", "orchestrator", {}, {}, {}),
        (R.INFERENCE_DURATION_BUCKET_RATE, "vv_summarize_scene_bitnet_inference_duration_seconds",
         "summarize_scene", {"backend": "builtin"}, {}, {}),
        (R.PLAYLIST_DURATION_BUCKET_RATE, "vv_tv_scheduler_generation_duration_seconds", "tv_scheduler",
         {"tv_id": "tv1"}, {}, {}),
        (R.DVR_CONNECT_BUCKET_RATE, "vv_agent_dvr_connect_duration_seconds", "agent_dvr", {"dvr": "dvr1"}, {}, {}),
    ]
    # One scenario per record: the stages of one record differ by their `stage` label, which every
    # check selects, so they share a test group (promtool evaluates every rule at every step of each).
    out: dict[str, Scenario] = {}
    for record, histogram, component, kept, dropped, static in cases:
        labels = ctx.labels(component, **kept, **dropped)
        series = (_bucket_series(histogram, labels, 0.5)
                  + _bucket_series(histogram, {**labels, "instance": "b:1"}, 0.25)
                  + _bucket_series(histogram, {**labels, "site": OTHER_SITE}, 1.0))
        job = labels["job"]
        checks = (
            close(at, _sel(record, site=here, le="1", **static), {"site": here, "job": job, "le": "1", **kept, **static},
                  0.75),
            close(at, _sel(record, site=here, le="0.1", **static),
                  {"site": here, "job": job, "le": "0.1", **kept, **static}, 0.0),
            close(at, _sel(R.fleet(record), le="+Inf", **static), {"job": job, "le": "+Inf", **kept, **static}, 1.75),
            # Every observation in (0.1, 1]: the fleet's quantile q interpolates to 0.1 + 0.9 q.
            *[close(at, _sel(R.fleet_quantile(record), quantile=q, **static),
                    {"job": job, "quantile": q, **kept, **static}, 0.1 + 0.9 * float(q)) for q in R.QUANTILES],
        )
        if record in out:
            series, checks = [*out[record].series, *series], (*out[record].checks, *checks)
            histogram = f"{out[record].name.split(' buckets')[0]}, {histogram}"
        out[record] = Scenario(record, "expression", f"{histogram} buckets per site and for the fleet", (),
                               tuple(series), checks)
    return list(out.values())


def _host(ctx) -> list[Scenario]:
    at = _at(ctx)
    node = ctx.labels("node_exporter")
    series = [Series("node_cpu_seconds_total", {**node, "cpu": "0", "mode": "idle"}, counter(0.5)),
              Series("node_cpu_seconds_total", {**node, "cpu": "1", "mode": "idle"}, counter(0.7)),
              Series("node_cpu_seconds_total", {**node, "cpu": "0", "mode": "user"}, counter(0.5))]
    checks = [close(at, R.NODE_CPU_IDLE_RATIO, node, 0.6)]
    for i, (metric, record) in enumerate(R.NODE_DEVICE_RATE.items()):
        series.append(Series(metric, {**node, "device": "sda"}, counter(100.0 * (i + 1))))
        checks.append(close(at, record, {**node, "device": "sda"}, 100.0 * (i + 1)))
    for component, per_second in (("summarize_scene", 0.2), ("orchestrator", 0.05)):
        labels = ctx.labels(component)
        series.append(Series("process_cpu_seconds_total", labels, counter(per_second)))
        checks.append(close(at, _sel(R.PROCESS_CPU_RATE, job=labels["job"]), labels, per_second))
    return [Scenario(R.NODE_CPU_IDLE_RATIO, "expression", "idle share averaged over CPUs, device and process rates",
                     (), tuple(series), tuple(checks))]


def _storage(ctx) -> list[Scenario]:
    """Free bytes falling 1,000 a second: the fill rate and the time until full are exact."""
    at = _at(ctx)
    mount = ctx.site.get("storage_mountpoint", "/")
    labels = ctx.labels("node_exporter", device="/dev/sda1", fstype="ext4", mountpoint=mount)
    start = 1e9
    series = (Series("node_filesystem_avail_bytes", labels, lambda t: start - 1000.0 * t),
              Series("node_filesystem_size_bytes", labels, lambda t: 2e9))
    horizons = dict.fromkeys((ctx.value("thresholds.storage.fill_warning_horizon"),
                              ctx.value("thresholds.storage.fill_critical_horizon")))
    last = ctx.clock.sample_at_or_before(at)
    checks = [close(at, R.STORAGE_SECONDS_UNTIL_FULL, labels, (start - 1000.0 * last) / 1000.0, rel=1e-4)]
    for h in horizons:
        checks.append(close(at, _sel(R.STORAGE_PREDICTED_FREE, horizon=h), {**labels, "horizon": h},
                            start - 1000.0 * (at + duration_seconds(h)), rel=1e-4))
    keys = ("thresholds.storage.predict_window", "thresholds.storage.fill_warning_horizon",
            "thresholds.storage.fill_critical_horizon")
    return [Scenario(R.STORAGE_SECONDS_UNTIL_FULL, "expression", "free space falling 1,000 bytes a second", keys,
                     series, tuple(checks))]


def scenarios(ctx) -> list[Scenario]:
    return _counter_rates(ctx) + _stage_rates(ctx) + _bucket_rates(ctx) + _host(ctx) + _storage(ctx)
