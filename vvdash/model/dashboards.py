"""Dashboards as JSON dicts: grafanalib objects are turned into Grafana's dashboard model here.

grafanalib (0.7) writes an old model: schemaVersion 12, datasources as names, legacy panel
keys, no layout. `finalize()` brings a dashboard to the current model: schemaVersion,
datasource references as {type, uid} objects, panel ids, gridPos laid out on 24 columns,
refIds on targets, no null or legacy keys. dashboards/_common.py calls it for every dashboard.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import StrEnum

from grafanalib._gen import DashboardEncoder

# The Grafana release the dashboards are written for (the compose file runs it; panels carry it as
# pluginVersion, as Grafana writes it on save) and the schemaVersion that release writes. Grafana
# migrates dashboards below it on every load; 10.4 and 11 load a higher one unchanged (their
# migrator only runs the steps below their own latest version).
GRAFANA_VERSION = "12.4.11"
SCHEMA_VERSION = 42
GRID_COLUMNS = 24
DATASOURCE_TYPE = "prometheus"
DATASOURCE_VARIABLE = "datasource"


class Unit(StrEnum):
    """Grafana unit ids the dashboards use (packages/grafana-data/src/valueFormats/categories.ts)."""

    BYTES = "bytes"
    BYTES_PER_SECOND = "Bps"
    NONE = "none"
    OPS = "ops"
    PERCENT_UNIT = "percentunit"
    PER_MINUTE = "cpm"
    PER_SECOND = "cps"
    SECONDS = "s"
    SHORT = "short"


# Core React panels; everything else in Grafana's core is Angular and is being removed.
MODERN_PANEL_TYPES = frozenset({
    "timeseries", "stat", "gauge", "bargauge", "table", "heatmap", "state-timeline", "text", "row",
})
ANGULAR_PANEL_TYPES = frozenset({
    "graph", "singlestat", "table-old", "grafana-piechart-panel", "grafana-worldmap-panel",
    "natel-discrete-panel", "flant-statusmap-panel", "dashlist-old",
})
# Panels that show data and therefore need queries, units and the datasource variable.
DATA_PANEL_TYPES = MODERN_PANEL_TYPES - {"text", "row"}

# Dashboard and panel keys grafanalib writes that the current model does not have.
_LEGACY_DASHBOARD_KEYS = ("rows", "style", "hideControls", "sharedCrosshair", "gnetId", "__inputs")
_LEGACY_PANEL_KEYS = ("cacheTimeout", "editable", "error", "height", "span", "minSpan", "hideTimeOverride",
                      "repeatDirection", "maxPerRow", "maxDataPoints")
_HEATMAP_ANGULAR_KEYS = ("cards", "color", "dataFormat", "heatmap", "hideZeroBuckets", "highlightCards",
                         "legend", "reverseYBuckets", "tooltip", "xAxis", "xBucketNumber", "xBucketSize",
                         "yAxis", "yBucketBound", "yBucketNumber", "yBucketSize")
_ROW_KEYS = ("collapsed", "gridPos", "id", "panels", "title", "type")
_TARGET_KEYS = ("datasource", "editorMode", "expr", "format", "hide", "instant", "interval",
                "legendFormat", "range", "refId")


@dataclass
class DashboardDef:
    module: str          # module name in dashboards/
    source: str          # path of the defining module
    model: dict          # Grafana dashboard JSON model

    @property
    def uid(self) -> str:
        return self.model.get("uid", "")

    @property
    def title(self) -> str:
        return self.model.get("title", "")


def to_model(obj) -> dict:
    """A grafanalib Dashboard (or an already plain dict) as Grafana's JSON model."""
    if isinstance(obj, dict):
        data = obj
    else:
        data = obj.to_json_data()
    return json.loads(json.dumps(data, cls=DashboardEncoder))


def iter_panels(model: dict):
    """Every panel, rows' nested panels included."""
    for panel in model.get("panels", []):
        yield panel
        for inner in panel.get("panels", []) or []:
            yield inner


def iter_targets(model: dict):
    """(panel, target) for every query target of every panel."""
    for panel in iter_panels(model):
        for target in panel.get("targets", []) or []:
            yield panel, target


def datasource_ref(uid: str = "${" + DATASOURCE_VARIABLE + "}") -> dict:
    """A datasource reference as the current model writes it."""
    return {"type": DATASOURCE_TYPE, "uid": uid}


# -- finalize -------------------------------------------------------------------
def finalize(obj) -> dict:
    """The current Grafana model of a grafanalib Dashboard or dict (see the module docstring)."""
    model = to_model(obj)
    for key in _LEGACY_DASHBOARD_KEYS:
        model.pop(key, None)
    model["schemaVersion"] = SCHEMA_VERSION
    model["id"] = None
    panels = [_panel(p) for p in model.get("panels", [])]
    for p in panels:
        p["panels"] = [_panel(q) for q in p.get("panels", [])] if p.get("type") == "row" else p.get("panels")
        if p.get("panels") is None:
            p.pop("panels", None)
    model["panels"] = layout(panels)
    _number(model["panels"])
    for annotation in model.get("annotations", {}).get("list", []):
        if annotation.get("datasource") in (None, "") or isinstance(annotation.get("datasource"), str):
            if annotation.get("builtIn") != 1:
                annotation["datasource"] = datasource_ref()
    for var in model.get("templating", {}).get("list", []):
        if var.get("type") == "query" and not isinstance(var.get("datasource"), dict):
            var["datasource"] = datasource_ref()
    return {k: v for k, v in model.items() if v is not None or k == "id"}


def _panel(panel: dict) -> dict:
    panel = {k: v for k, v in panel.items() if v is not None}
    for key in _LEGACY_PANEL_KEYS:
        panel.pop(key, None)
    if panel.get("type") == "heatmap":
        for key in _HEATMAP_ANGULAR_KEYS:
            panel.pop(key, None)
    if panel.get("type") == "row":
        return {k: v for k, v in panel.items() if k in _ROW_KEYS}
    panel["pluginVersion"] = GRAFANA_VERSION
    if panel.get("type") in DATA_PANEL_TYPES:
        if not isinstance(panel.get("datasource"), dict):
            panel["datasource"] = datasource_ref()
        targets = []
        for i, target in enumerate(panel.get("targets", [])):
            target = {k: v for k, v in target.items() if k in _TARGET_KEYS}
            if not target.get("refId"):
                target["refId"] = chr(ord("A") + i)
            if not isinstance(target.get("datasource"), dict):
                target["datasource"] = dict(panel["datasource"])
            targets.append(target)
        panel["targets"] = targets
    return panel


def layout(panels: list[dict]) -> list[dict]:
    """Flow panels left to right on 24 columns; a row panel starts a new line.

    A panel asks for its size with gridPos {w, h}; x and y are computed. A panel that
    already carries x and y keeps them (a hand-placed panel).
    """
    x = y = line_h = 0
    for panel in panels:
        pos = dict(panel.get("gridPos") or {})
        w = min(int(pos.get("w", 12)), GRID_COLUMNS)
        h = int(pos.get("h", 8))
        if "x" in pos and "y" in pos:
            panel["gridPos"] = {"h": h, "w": w, "x": int(pos["x"]), "y": int(pos["y"])}
            continue
        if panel.get("type") == "row":
            y, x, line_h = y + line_h, 0, 0
            panel["gridPos"] = {"h": 1, "w": GRID_COLUMNS, "x": 0, "y": y}
            y += 1
            continue
        if x + w > GRID_COLUMNS:
            y, x, line_h = y + line_h, 0, 0
        panel["gridPos"] = {"h": h, "w": w, "x": x, "y": y}
        x += w
        line_h = max(line_h, h)
    return panels


def _number(panels: list[dict]) -> None:
    """Panel ids 1..n in reading order (stable: they only change when panels are added or moved)."""
    n = 0
    for panel in panels:
        n += 1
        panel["id"] = n
        for inner in panel.get("panels", []) or []:
            n += 1
            inner["id"] = n
