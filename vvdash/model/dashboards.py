"""Dashboards as JSON dicts: grafanalib objects are turned into Grafana's dashboard model here."""

from __future__ import annotations

import json
from dataclasses import dataclass

from grafanalib._gen import DashboardEncoder


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
