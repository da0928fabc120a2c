"""The typed dashboard layer: the flow layout, the model it writes, what it refuses when built."""

from __future__ import annotations

import pytest

from vvdash.check.dashboard_lint import lint
from vvdash.errors import DefinitionError
from vvdash.model.dashboards import SCHEMA_VERSION, Dashboard, Panel, Row, Target, Unit, layout, to_model


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


def _series(title: str, *exprs: str) -> Panel:
    return Panel(type="timeseries", title=title, description=f"{title}.", unit=Unit.SECONDS,
                 targets=[Target(expr=e) for e in exprs], width=12, height=8)


def test_a_dashboard_is_written_in_the_current_model():
    dash = Dashboard(uid="t", title="T", description="Test.", tags=["vvdash"],
                     panels=[Row(title="R"), _series("A", "up"), _series("B", "up", "up")])
    model = to_model(dash)
    assert model["schemaVersion"] == SCHEMA_VERSION and model["id"] is None
    assert [p["id"] for p in model["panels"]] == [1, 2, 3]
    assert [p["gridPos"] for p in model["panels"]] == [
        {"h": 1, "w": 24, "x": 0, "y": 0}, {"h": 8, "w": 12, "x": 0, "y": 1}, {"h": 8, "w": 12, "x": 12, "y": 1}]
    ref = {"type": "prometheus", "uid": "${datasource}"}
    for panel in model["panels"][1:]:
        assert panel["datasource"] == ref and panel["fieldConfig"]["defaults"]["unit"] == "s"
        assert all(t["datasource"] == ref for t in panel["targets"])
    assert [t["refId"] for t in model["panels"][2]["targets"]] == ["A", "B"]
    assert model["panels"][0] == {"collapsed": False, "gridPos": {"h": 1, "w": 24, "x": 0, "y": 0}, "id": 1,
                                  "panels": [], "title": "R", "type": "row"}
    rules = {f.message.split(":")[0] for f in lint([model])}
    assert "schema-version-rule" not in rules and "panel-id-rule" not in rules and "panel-overlap-rule" not in rules


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"type": "timeseries", "unit": "seconds"}, "panel 'P': unit 'seconds' is not a Unit"),
    ({"type": "timeseries", "unit": None}, "panel 'P': unit None is not a Unit"),
    ({"type": "graph", "unit": Unit.SECONDS}, "panel 'P': type 'graph' is not one of bargauge, gauge"),
    ({"type": "text", "unit": Unit.SECONDS}, "panel 'P': a text panel has no unit or queries"),
])
def test_a_panel_that_grafana_would_misread_cannot_be_built(kwargs, message):
    with pytest.raises(DefinitionError) as err:
        Panel(title="P", description="P.", **kwargs)
    assert str(err.value).startswith(message)


def test_a_dashboard_function_returning_something_else_is_named():
    with pytest.raises(DefinitionError, match="dashboard\\(\\) returned a list, not a Dashboard"):
        to_model([])
