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

    def __post_init__(self):
        if self.type not in TYPES:
            raise ValueError(f"{self.name}: unknown metric type {self.type!r}")
        if self.type == "counter" and not self.name.endswith("_total") and not self.exporter:
            raise ValueError(f"{self.name}: a counter must end in _total")
        if self.type != "counter" and self.name.endswith("_total"):
            raise ValueError(f"{self.name}: only counters end in _total")
        if self.type == "histogram" and not self.exporter and not self.buckets:
            raise ValueError(f"{self.name}: a histogram needs buckets")


@dataclass(frozen=True)
class Series:
    """One name as it appears in PromQL: a metric, or a histogram's _bucket/_sum/_count."""

    name: str
    metric: Metric
    kind: str                     # counter | gauge (what the series behaves like)
    labels: frozenset = field(default_factory=frozenset)

    @property
    def is_counter(self) -> bool:
        return self.kind == "counter"


def series_of(metric: Metric) -> list[Series]:
    base = frozenset(metric.labels) | frozenset(TARGET_LABELS)
    if metric.type == "histogram":
        return [
            Series(metric.name + "_bucket", metric, "counter", base | {"le"}),
            Series(metric.name + "_sum", metric, "counter", base),
            Series(metric.name + "_count", metric, "counter", base),
        ]
    return [Series(metric.name, metric, metric.type, base)]
