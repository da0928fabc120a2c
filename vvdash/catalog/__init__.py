"""The metric catalog: every metric vvdash's pipeline exposes or its queries read, declared once.

The pipeline builds its prometheus_client objects from here (vvdash.catalog.instrument),
and every PromQL expression is checked against it (vvdash.check.contract).
"""

from __future__ import annotations

from functools import lru_cache

from vvdash.catalog import exporters, pipeline_core, pipeline_support
from vvdash.catalog.model import TARGET_LABELS, Metric, Series, series_of

__all__ = ["Catalog", "Metric", "Series", "TARGET_LABELS", "load"]


class Catalog:
    def __init__(self, metrics: list[Metric]):
        self.metrics: dict[str, Metric] = {}
        self.series: dict[str, Series] = {}
        for m in metrics:
            if m.name in self.metrics:
                raise ValueError(f"catalog: {m.name} declared twice")
            self.metrics[m.name] = m
            for s in series_of(m):
                if s.name in self.series:
                    raise ValueError(f"catalog: series {s.name} clashes with {self.series[s.name].metric.name}")
                self.series[s.name] = s

    def __iter__(self):
        return iter(sorted(self.metrics.values(), key=lambda m: (m.exporter, m.component, m.name)))

    def __getitem__(self, name: str) -> Metric:
        return self.metrics[name]

    def __contains__(self, name: str) -> bool:
        return name in self.metrics

    def for_component(self, component: str) -> list[Metric]:
        return [m for m in self if m.component == component]

    def vv_metrics(self) -> list[Metric]:
        return [m for m in self if m.name.startswith("vv_")]


@lru_cache(maxsize=1)
def load() -> Catalog:
    return Catalog(pipeline_core.METRICS + pipeline_support.METRICS + exporters.METRICS)
