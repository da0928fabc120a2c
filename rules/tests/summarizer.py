"""Scenarios for rules/summarizer.py: inference latency and failure records, slow inference,
failing inferences, model not loaded."""

from __future__ import annotations

from rules._common import RATE_WINDOW
from rules.tests._patterns import down_for
from shared import records as R
from vvdash.scenarios import Firing, Scenario, clear, Series, close, counter, fires, gauge, just_over, just_under, promql, \
    quiet, seconds

T = "thresholds.summarizer."
LATENCY = "vv_summarize_scene_bitnet_inference_duration_seconds_bucket"
INFERENCES = "vv_summarize_scene_inferences_total"


def _ratio_over(r: float) -> float:
    if r == 0:
        return 0.01
    return clear(r * 1.02 if r * 1.02 < 1 else (r + 1) / 2)


def _busy(clock, guard: float) -> float:
    """Inferences a second well over the traffic guard, and never within float noise of it while
    the rate window fills: the rate then reads the traffic times the filled share of the window,
    and a round factor (10x) can meet the guard exactly, where Prometheus 2 and 3 round apart."""
    busy = max(1.0, 10 * guard)
    probe = Series(INFERENCES, {}, counter(1.0))
    evals = [clock.evaluation * i for i in range(1, int((seconds(RATE_WINDOW) + 3 * clock.step) / clock.evaluation) + 2)]
    shares = [r for t in evals if (r := promql.rate(probe, clock, t, RATE_WINDOW)) is not None]
    while any(abs(busy * share - guard) <= 1e-6 * guard for share in shares):
        busy *= 1.013
    return busy


def scenarios(ctx):
    clock = ctx.clock
    backend = ctx.value("pipeline.summarizer.backend")
    labels = ctx.labels("summarize_scene", backend=backend)
    out_labels = {"job": labels["job"], "site": labels["site"], "backend": backend}
    hold = ctx.seconds(T + "for")
    out = []

    # -- slow inference: every inference in one bucket, so the p95 is 0.95 of its upper bound ----
    alert = "VVSummarizerInferenceSlow"
    limit = ctx.value(T + "inference_p95_seconds")
    keys = (T + "inference_p95_seconds", T + "for")
    for kind, p95 in (("fires", just_over(limit)), ("near miss", just_under(limit))):
        bound = p95 / 0.95
        series = (Series(LATENCY, {**labels, "le": f"{bound:.12g}"}, counter(1)),
                  Series(LATENCY, {**labels, "le": "+Inf"}, counter(1)))
        true_from = promql.first_eval(clock, lambda t, s=series[0]: promql.rate(s, clock, t, RATE_WINDOW) is not None)
        edge = clock.fires_at(true_from, hold)
        if kind == "fires":
            checks = (quiet(edge - clock.evaluation, alert, "still pending"),
                      fires(edge, alert, Firing({**out_labels, "quantile": "0.95"}, p95)),
                      *(close(edge, f'{R.INFERENCE_DURATION_QUANTILE}{{quantile="{q}"}}',
                              {**out_labels, "quantile": q}, float(q) * bound) for q in R.QUANTILES))
        else:
            checks = (quiet(edge, alert),)
        out.append(Scenario(alert, kind, f"p95 {p95:.6g}s against {limit:g}s", keys, series, checks))

    # -- failing inferences: failure share against failure_ratio ----------------------------------
    alert = "VVSummarizerFailures"
    limit = ctx.value(T + "failure_ratio")
    guard = ctx.value(T + "min_inferences_per_second")
    keys = (T + "failure_ratio", T + "min_inferences_per_second", T + "for")
    busy = _busy(clock, guard)                          # inferences per second, well over the guard
    for kind, share, traffic in (("fires", _ratio_over(limit), busy), ("near miss", just_under(limit), busy),
                                 ("near miss", _ratio_over(limit), just_under(guard))):
        ok = Series(INFERENCES, {**labels, "status": "success"}, counter(traffic * (1 - share)))
        bad = Series(INFERENCES, {**labels, "status": "failure"}, counter(traffic * share))
        # rate() over a window the series only starts in reads low (it divides by the whole window):
        # the traffic guard holds only once the window has filled enough.
        def holds(t, ok=ok, bad=bad, traffic=traffic):
            failing, passing = promql.rate(bad, clock, t, RATE_WINDOW), promql.rate(ok, clock, t, RATE_WINDOW)
            if failing is None or passing is None:
                return False
            return traffic < guard or failing + passing >= guard
        true_from = promql.first_eval(clock, holds)
        edge = clock.fires_at(true_from, hold)
        if kind == "fires":
            checks = (quiet(edge - clock.evaluation, alert, "still pending"),
                      fires(edge, alert, Firing(out_labels, share)),
                      close(edge, R.INFERENCE_FAILURE_RATIO, out_labels, share))
        else:
            checks = (quiet(edge, alert),)
        out.append(Scenario(alert, kind, f"{share:.6g} of {traffic:.6g} inferences a second failing against "
                            f"{limit:g} (at least {guard:g} a second)", keys, (ok, bad), checks))
    out.append(Scenario(alert, "absent data", "no inferences at all (0/0)", keys,
                        (Series(INFERENCES, {**labels, "status": "success"}, gauge(0)),),
                        (quiet(clock.eval_after(hold + 2 * clock.step), alert),)))

    # -- model not loaded: up, and no model_loaded_info == 1, for `for` ---------------------------
    alert = "VVSummarizerModelNotLoaded"
    up = ctx.labels("summarize_scene")
    info = {**up, "backend": backend, "model_name": ctx.value("pipeline.summarizer.model_name"),
            "model_version": ctx.value("pipeline.summarizer.model_version")}
    service_up = Series("up", up, gauge(1))
    out += down_for(ctx, alert, hold, (T + "for",), "vv_summarize_scene_model_loaded_info", info, up,
                    value=1, others=(service_up,), absent_fires=True)
    out.append(Scenario(alert, "near miss", "the service is down (VVTargetDown's case)", (T + "for",),
                        (Series("up", up, gauge(0)), Series("vv_summarize_scene_model_loaded_info", info, gauge(0))),
                        (quiet(clock.fires_at(clock.step, hold), alert),)))
    return out
