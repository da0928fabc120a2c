"""A small dashboard that passes every linter rule; each linter test breaks it in one way."""

from __future__ import annotations

import copy

from vvdash.model.dashboards import SCHEMA_VERSION

DS = {"type": "prometheus", "uid": "${datasource}"}
SEL = 'site=~"$site", job=~"$job", instance=~"$instance"'


def _var(name: str, query: str) -> dict:
    return {"name": name, "label": name.title(), "type": "query", "datasource": dict(DS),
            "query": {"query": query, "refId": "V"}, "refresh": 2, "multi": True, "includeAll": True,
            "allValue": ".+"}


def _panel(pid: int, title: str, expr: str, x: int, y: int, unit: str = "ops") -> dict:
    return {"id": pid, "type": "timeseries", "title": title, "description": f"{title}, per second.",
            "datasource": dict(DS), "gridPos": {"h": 8, "w": 12, "x": x, "y": y},
            "fieldConfig": {"defaults": {"unit": unit}, "overrides": []},
            "targets": [{"refId": "A", "expr": expr, "datasource": dict(DS)}]}


GOOD = {
    "uid": "fixture", "title": "Fixture", "schemaVersion": SCHEMA_VERSION,
    "templating": {"list": [
        {"name": "datasource", "label": "Data source", "type": "datasource", "query": "prometheus"},
        _var("site", "label_values(up, site)"),
        _var("job", 'label_values(up{site=~"$site"}, job)'),
        _var("instance", 'label_values(up{site=~"$site", job=~"$job"}, instance)'),
    ]},
    "annotations": {"list": [{"name": "Firing alerts", "datasource": dict(DS), "expr": 'ALERTS{alertstate="firing"}'}]},
    "panels": [
        {"id": 1, "type": "row", "title": "Pipeline", "collapsed": False, "panels": [],
         "gridPos": {"h": 1, "w": 24, "x": 0, "y": 0}},
        _panel(2, "Videos completed", f"sum(rate(vv_videos_processed_total{{{SEL}}}[$__rate_interval]))", 0, 1),
        _panel(3, "Queue depth", f"sum(vv_files_in_corrupted{{{SEL}}})", 12, 1, unit="short"),
    ],
}


def good() -> dict:
    return copy.deepcopy(GOOD)


def panel(model: dict, title: str) -> dict:
    return next(p for p in model["panels"] if p.get("title") == title)


def variable(model: dict, name: str) -> dict:
    return next(v for v in model["templating"]["list"] if v["name"] == name)


def fast_downsample_rules(work) -> str:
    """The generated downsampling rules with their groups run every second instead of every 5 minutes,
    so a Prometheus started by a test has the records within seconds (the expressions are unchanged)."""
    from tests.helpers import PROJECT_ROOT
    from vvdash.stack.profile import quick_groups

    rel = "prometheus/rules/downsample.yml"
    files = quick_groups({rel: (PROJECT_ROOT / "generated" / rel).read_bytes()}, "1s")
    path = work / "downsample-every-second.yml"
    path.write_bytes(files[rel])
    return str(path)
