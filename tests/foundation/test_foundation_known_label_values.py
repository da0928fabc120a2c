"""Labelled counters with known label values exist at 0 from the start (catalog known_values), so the
first event of each value after a restart is an increase() Prometheus can see."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from vvdash.catalog import load
from vvdash.catalog.instrument import instruments
from vvdash.catalog.model import Metric
from pipeline.reasons import CORRUPTED_REASONS

ROOT = Path(__file__).resolve().parents[2]
CATALOG = load()


def _samples(component: str) -> dict[str, list[dict]]:
    registry = CollectorRegistry()
    instruments(component, registry)
    out: dict[str, list[dict]] = {}
    for family in text_string_to_metric_families(generate_latest(registry).decode()):
        for sample in family.samples:
            out.setdefault(sample.name, []).append({**sample.labels, "__value__": sample.value})
    return out


def test_corrupted_reasons_are_declared():
    known = dict(CATALOG["vv_videos_corrupted_total"].known_values)
    assert known["reason"] == CORRUPTED_REASONS


@pytest.mark.parametrize("metric", [m for m in CATALOG if m.known_values], ids=lambda m: m.name)
def test_every_known_label_value_is_exposed_at_zero_on_start(metric):
    exposed = _samples(metric.component)[metric.name]
    wanted = metric.precreated()
    assert wanted, f"{metric.name}: known values for only some of its labels create nothing"
    got = [{k: v for k, v in s.items() if k != "__value__"} for s in exposed]
    assert sorted(map(sorted, (w.items() for w in wanted))) == sorted(map(sorted, (g.items() for g in got)))
    assert {s["__value__"] for s in exposed} == {0.0}


def test_every_label_combination_is_created_and_partial_knowledge_creates_none():
    both = Metric("vv_demo_total", "counter", "demo", "demo", ("a", "b"),
                  known_values=(("a", ("x", "y")), ("b", ("1", "2", "3"))))
    assert len(both.precreated()) == 6 and {"a": "y", "b": "3"} in both.precreated()
    partial = Metric("vv_demo_total", "counter", "demo", "demo", ("a", "b"), known_values=(("a", ("x",)),))
    assert partial.precreated() == []
    with pytest.raises(ValueError, match="not one of its labels"):
        Metric("vv_demo_total", "counter", "demo", "demo", ("a",), known_values=(("z", ("x",)),))
    with pytest.raises(ValueError, match="distinct and not empty"):
        Metric("vv_demo_total", "counter", "demo", "demo", ("a",), known_values=(("a", ("x", "x")),))


def _reasons_in_pipeline_source() -> set[str]:
    """Every corrupted reason the pipeline code names as a literal: scan_video's Corrupt("..."),
    the orchestrator's corrupt(..., "...") and reason="..." on the counter."""
    text = "\n".join(p.read_text() for p in (ROOT / "pipeline").glob("*.py") if p.name != "reasons.py")
    found = set(re.findall(r'\bCorrupt\(\s*"([a-z_]+)"', text))
    found |= set(re.findall(r'\.corrupt\([^,]+,\s*"([a-z_]+)"', text))
    found |= set(re.findall(r'vv_videos_corrupted_total"\]\.labels\(reason="([a-z_]+)"\)', text))
    return found


def test_every_reason_the_pipeline_files_is_known_to_the_catalog():
    used = _reasons_in_pipeline_source()
    assert {"undecodable", "symlink", "unexpected_error"} <= used, used   # the scan found them
    missing = used - set(CORRUPTED_REASONS)
    assert not missing, f"add to pipeline/reasons.py: {sorted(missing)}"
    # The catalog declares exactly that list, so the instrument layer creates each at 0.
    assert dict(CATALOG["vv_videos_corrupted_total"].known_values)["reason"] == CORRUPTED_REASONS


def test_the_orchestrator_registry_exposes_every_reason_before_any_file():
    """The registry the orchestrator service serves at /metrics (pipeline._common.registry_for)."""
    from pipeline._common import registry_for
    from pipeline.orchestrator import COMPONENT

    registry, _ = registry_for(COMPONENT)
    text = generate_latest(registry).decode()
    for reason in CORRUPTED_REASONS:
        assert f'vv_videos_corrupted_total{{reason="{reason}"}} 0.0' in text
