"""Build prometheus_client instruments from the catalog, so no metric name is typed twice."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, disable_created_metrics

from vvdash.catalog import load
from vvdash.catalog.model import Metric

# `_created` series double the series count and are not in the catalog.
disable_created_metrics()


def instrument(metric: Metric, registry: CollectorRegistry):
    """One prometheus_client object for a catalog metric, registered in `registry`."""
    inst: Counter | Histogram | Gauge
    if metric.type == "counter":
        # prometheus_client appends _total itself.
        inst = Counter(metric.name[: -len("_total")], metric.help, labelnames=metric.labels, registry=registry)
    elif metric.type == "histogram":
        inst = Histogram(metric.name, metric.help, labelnames=metric.labels, registry=registry, buckets=metric.buckets)
    else:
        inst = Gauge(metric.name, metric.help, labelnames=metric.labels, registry=registry)
    for labels in metric.precreated():   # every known label value exposed at 0 from the start
        inst.labels(**labels)
    return inst


def instruments(component: str, registry: CollectorRegistry, skip: tuple[str, ...] = ()) -> dict:
    """Every catalog metric of `component` as {exposed name: instrument}.

    `skip` leaves out metrics that must stay absent (e.g. GPU gauges without a GPU).
    """
    metrics = load().for_component(component)
    if not metrics:
        raise KeyError(f"catalog: no metrics for component {component!r}")
    return {m.name: instrument(m, registry) for m in metrics if m.name not in skip}
