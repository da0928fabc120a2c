"""What a catalog entry is, and how a metric name maps to the series Prometheus stores."""

from __future__ import annotations

from dataclasses import dataclass, field

TYPES = ("counter", "gauge", "histogram")

# Labels every scraped series carries: job and instance from Prometheus, site from
# the scrape config's target labels (see the generated prometheus.yml).
TARGET_LABELS = ("job", "instance", "site")


@dataclass(frozen=True)
class Metric:
    name: str                     # exposed name; counters end in _total, histograms are the base name
    type: str                     # counter | gauge | histogram
    help: str
    component: str                # which service or exporter exposes it
    labels: tuple[str, ...] = ()  # label names set by the exposing code (target labels excluded)
    unit: str = ""                # seconds, bytes, ratio, timestamp, ... ("" for a plain count)
    buckets: tuple[float, ...] = ()
    seed_name: str = ""           # the name the blueprint used, when it differs or is the same
    seed_reason: str = ""         # why the exposed form differs from the seed
    exporter: bool = False        # exposed by third-party software, not by vvdash's pipeline
    open_labels: bool = False     # label set not fixed (e.g. ALERTS): label checks are skipped
    pushed: bool = False          # reaches Prometheus through the Pushgateway
    # Every value a label can take, where the code fixes them: ((label, (value, ...)), ...). With
    # every label known, the instrument layer creates each series at 0 on start, so the first
    # event after a restart is an increase from 0, not a new series that increase() cannot see.
    known_values: tuple[tuple[str, tuple[str, ...]], ...] = ()

    def __post_init__(self):
        if self.type not in TYPES:
            raise ValueError(f"{self.name}: unknown metric type {self.type!r}")
        if self.type == "counter" and not self.name.endswith("_total") and not self.exporter:
            raise ValueError(f"{self.name}: a counter must end in _total")
        if self.type != "counter" and self.name.endswith("_total"):
            raise ValueError(f"{self.name}: only counters end in _total")
        if self.type == "histogram" and not self.exporter and not self.buckets:
            raise ValueError(f"{self.name}: a histogram needs buckets")
        for label, values in self.known_values:
            if label not in self.labels:
                raise ValueError(f"{self.name}: known values for {label!r}, which is not one of its labels")
            if not values or len(set(values)) != len(values):
                raise ValueError(f"{self.name}: known values of {label!r} must be distinct and not empty")

    def precreated(self) -> list[dict[str, str]]:
        """The label sets created at 0 on start: every combination of the known values, when every
        label has them (none otherwise: a series cannot be made with a label left open)."""
        known = dict(self.known_values)
        if not self.labels or set(known) != set(self.labels):
            return []
        combos: list[dict[str, str]] = [{}]
        for label in self.labels:
            combos = [{**c, label: v} for c in combos for v in known[label]]
        return combos


@dataclass(frozen=True)
class Series:
    """One name as it appears in PromQL: a metric, or a histogram's _bucket/_sum/_count."""

    name: str
    metric: Metric
    kind: str                     # counter | gauge (what the series behaves like)
    labels: frozenset = field(default_factory=frozenset)


def series_of(metric: Metric) -> list[Series]:
    base = frozenset(metric.labels) | frozenset(TARGET_LABELS)
    if metric.type == "histogram":
        return [
            Series(metric.name + "_bucket", metric, "counter", base | {"le"}),
            Series(metric.name + "_sum", metric, "counter", base),
            Series(metric.name + "_count", metric, "counter", base),
        ]
    return [Series(metric.name, metric, metric.type, base)]
