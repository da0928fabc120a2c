"""Dashboards as typed objects, written out as the Grafana 12 dashboard model.

A definition builds a `Dashboard` of `Panel`s and `Row`s with `Target`s (dashboards/_common.py has
the builders); `Dashboard.to_model()` writes the JSON model Grafana 12 saves: schemaVersion,
datasource references as {type, uid} objects, panel ids, gridPos laid out on 24 columns, refIds.
Wrong values are refused when the object is built (a unit that is not a `Unit`, a panel type
that is not a current React panel), naming the panel; the loader adds the module.

grafanalib is not used: its 0.7 release writes an older model (schemaVersion 12, Angular-era
panel keys and options) that would have to be rewritten after the fact.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from enum import StrEnum

from vvdash.errors import DefinitionError

# The Grafana release the dashboards are written for (the compose file runs it; panels carry it as
# pluginVersion, as Grafana writes it on save) and the schemaVersion that release writes. Grafana
# migrates dashboards below it on every load; 10.4 and 11 load a higher one unchanged (their
# migrator only runs the steps below their own latest version).
GRAFANA_VERSION = "12.4.11"
SCHEMA_VERSION = 42
GRID_COLUMNS = 24
DATASOURCE_TYPE = "prometheus"
DATASOURCE_VARIABLE = "datasource"


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


def datasource_ref(uid: str = "${" + DATASOURCE_VARIABLE + "}") -> dict:
    """A datasource reference as the current model writes it."""
    return {"type": DATASOURCE_TYPE, "uid": uid}


@dataclass(frozen=True, kw_only=True)
class Target:
    """A Prometheus query of a panel; one-number panels ask for the instant value only."""

    expr: str
    legend: str = ""
    instant: bool = False
    format: str = "time_series"

    def to_json(self, ref_id: str) -> dict:
        return {"datasource": datasource_ref(), "editorMode": "code", "expr": self.expr, "format": self.format,
                "instant": self.instant, "legendFormat": self.legend, "range": not self.instant, "refId": ref_id}


@dataclass(kw_only=True)
class Panel:
    """A panel: `defaults` and `options` are Grafana's fieldConfig.defaults (without the unit) and
    options for its type; `width`/`height` ask for a size, the dashboard places it."""

    type: str
    title: str
    description: str
    unit: Unit | None = None          # data panels only
    defaults: dict = field(default_factory=dict)
    options: dict = field(default_factory=dict)
    targets: list[Target] = field(default_factory=list)
    width: int = 12
    height: int = 8
    links: list[dict] = field(default_factory=list)
    transformations: list[dict] = field(default_factory=list)
    overrides: list[dict] = field(default_factory=list)   # fieldConfig.overrides: per-field settings
    interval: str = ""                # the minimum step of its queries

    def __post_init__(self):
        if self.type not in MODERN_PANEL_TYPES or self.type == "row":
            raise DefinitionError(f"panel {self.title!r}: type {self.type!r} is not one of "
                                  f"{', '.join(sorted(MODERN_PANEL_TYPES - {'row'}))}")
        if self.type in DATA_PANEL_TYPES and not isinstance(self.unit, Unit):
            raise DefinitionError(f"panel {self.title!r}: unit {self.unit!r} is not a Unit "
                                  "(Unit.BYTES, Unit.SECONDS, ...)")
        if self.type not in DATA_PANEL_TYPES and (self.unit is not None or self.targets):
            raise DefinitionError(f"panel {self.title!r}: a {self.type} panel has no unit or queries")

    def to_json(self) -> dict:
        out = {"description": self.description, "gridPos": {"h": self.height, "w": self.width},
               "links": list(self.links), "options": self.options, "pluginVersion": GRAFANA_VERSION,
               "title": self.title, "transformations": list(self.transformations), "transparent": False,
               "type": self.type}
        if self.type in DATA_PANEL_TYPES:
            out["datasource"] = datasource_ref()
            out["fieldConfig"] = {"defaults": {"unit": str(self.unit), **self.defaults},
                                  "overrides": list(self.overrides)}
            out["targets"] = [t.to_json(chr(ord("A") + i)) for i, t in enumerate(self.targets)]
        if self.interval:
            out["interval"] = self.interval
        return out


@dataclass(frozen=True, kw_only=True)
class Row:
    """A row heading: the panels after it, up to the next row, are its panels (not collapsed)."""

    title: str

    def to_json(self) -> dict:
        return {"collapsed": False, "gridPos": {"h": 1, "w": GRID_COLUMNS}, "panels": [], "title": self.title,
                "type": "row"}


@dataclass(kw_only=True)
class Dashboard:
    """A dashboard; `variables`, `annotations` and `links` are Grafana's templating, annotation and
    dashboard-link objects."""

    uid: str
    title: str
    description: str
    tags: list[str]
    panels: list[Panel | Row]
    variables: list[dict] = field(default_factory=list)
    annotations: list[dict] = field(default_factory=list)
    links: list[dict] = field(default_factory=list)
    refresh: str = "30s"
    time_from: str = "now-6h"
    timezone: str = "browser"
    shared_crosshair: bool = True

    def to_model(self) -> dict:
        panels = layout([p.to_json() for p in self.panels])
        _number(panels)
        return {
            "annotations": {"list": list(self.annotations)}, "description": self.description, "editable": False,
            "fiscalYearStartMonth": 0, "graphTooltip": 1 if self.shared_crosshair else 0, "id": None,
            "links": list(self.links), "liveNow": False, "panels": panels, "refresh": self.refresh,
            "schemaVersion": SCHEMA_VERSION, "tags": list(self.tags), "templating": {"list": list(self.variables)},
            "time": {"from": self.time_from, "to": "now"}, "timepicker": {}, "timezone": self.timezone,
            "title": self.title, "uid": self.uid, "version": 0, "weekStart": "",
        }


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
    """What a dashboard() returned as Grafana's JSON model: a `Dashboard`, or a model written by hand."""
    if isinstance(obj, Dashboard):
        return obj.to_model()
    if isinstance(obj, dict):
        return json.loads(json.dumps(obj))
    raise DefinitionError(f"dashboard() returned a {type(obj).__name__}, not a Dashboard (vvdash.model.dashboards) "
                          "or a dashboard model")


def iter_panels(model: dict):
    """Every panel, rows' nested panels included."""
    for panel in model.get("panels", []):
        yield panel
        yield from panel.get("panels", []) or []


def iter_targets(model: dict):
    """(panel, target) for every query target of every panel."""
    for panel in iter_panels(model):
        for target in panel.get("targets", []) or []:
            yield panel, target


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
