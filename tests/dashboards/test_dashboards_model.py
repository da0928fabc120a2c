"""finalize(): grafanalib's old model brought to the current one; the flow layout."""

from __future__ import annotations

from grafanalib import core as G

from vvdash.check.dashboard_lint import lint
from vvdash.model.dashboards import SCHEMA_VERSION, finalize, layout


def test_layout_flows_on_24_columns_and_rows_start_a_line():
    panels = layout([
        {"type": "stat", "gridPos": {"w": 10, "h": 4}},
        {"type": "stat", "gridPos": {"w": 10, "h": 6}},
        {"type": "stat", "gridPos": {"w": 10, "h": 4}},    # does not fit: next line, below the taller one
        {"type": "row"},
        {"type": "stat", "gridPos": {"w": 30, "h": 4}},    # too wide: clamped to the grid
        {"type": "stat", "gridPos": {"w": 6, "h": 3, "x": 18, "y": 40}},   # hand-placed: kept
    ])
    assert [p["gridPos"] for p in panels] == [
        {"h": 4, "w": 10, "x": 0, "y": 0},
        {"h": 6, "w": 10, "x": 10, "y": 0},
        {"h": 4, "w": 10, "x": 0, "y": 6},
        {"h": 1, "w": 24, "x": 0, "y": 10},
        {"h": 4, "w": 24, "x": 0, "y": 11},
        {"h": 3, "w": 6, "x": 18, "y": 40},
    ]


def test_finalize_brings_grafanalib_output_to_the_current_model():
    obj = G.Dashboard(title="T", uid="t", panels=[
        G.TimeSeries(title="A", dataSource="Prometheus", targets=[G.Target(expr="up")], gridPos={"w": 12, "h": 8}),
        G.TimeSeries(title="B", targets=[G.Target(expr="up"), G.Target(expr="up")], gridPos={"w": 12, "h": 8}),
    ])
    raw = obj.to_json_data()
    assert raw["schemaVersion"] == 12
    model = finalize(obj)
    assert model["schemaVersion"] == SCHEMA_VERSION
    assert [p["id"] for p in model["panels"]] == [1, 2]
    assert [p["gridPos"]["x"] for p in model["panels"]] == [0, 12]
    ref = {"type": "prometheus", "uid": "${datasource}"}
    for panel in model["panels"]:
        assert panel["datasource"] == ref       # a datasource name becomes the variable reference
        assert "maxDataPoints" not in panel and "span" not in panel
    assert [t["refId"] for t in model["panels"][1]["targets"]] == ["A", "B"]
    assert all(set(t) <= {"datasource", "expr", "format", "hide", "instant", "interval", "legendFormat",
                          "range", "refId"} for p in model["panels"] for t in p["targets"])
    assert "rows" not in model and model["id"] is None
    rules = {f.message.split(":")[0] for f in lint([model])}
    assert "schema-version-rule" not in rules and "panel-id-rule" not in rules and "panel-overlap-rule" not in rules
