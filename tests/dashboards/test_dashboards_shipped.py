"""The shipped dashboards: lint clean, catalog contract clean, Grafana's current model, deterministic."""

from __future__ import annotations

import json
import re

import pytest

from shared import exprs
from shared import records as R
from shared.dashboards import uid as dashboard_uid
from tests.helpers import PROJECT_ROOT
from vvdash import definitions, inventory
from vvdash.check import contract, dashboard_lint, metric_coverage
from vvdash.emit import dashboards as emit_dashboards
from vvdash.jobs import JOB
from vvdash.model.dashboards import DATA_PANEL_TYPES, GRID_COLUMNS, SCHEMA_VERSION, iter_panels, iter_targets
from vvdash.project import load_project

# Modules that build a dashboard only for an inventory with a `fleet` section (tests/fleet/).
FLEET_ONLY = {"fleet"}


@pytest.fixture(scope="module")
def project():
    return load_project()


@pytest.fixture(scope="module")
def models(project):
    return {d.uid: d.model for d in project.dashboards}


@pytest.fixture(scope="module")
def expected():
    """The uids of the dashboards the build's own discovery finds (vvdash/definitions.py)."""
    return {dashboard_uid(name) for name, _path, _module in definitions.modules("dashboards")
            if name not in FLEET_ONLY}


def test_every_discovered_module_builds_its_dashboard_with_a_stable_uid(project, expected):
    assert len(expected) > 1
    assert {d.uid for d in project.dashboards} == expected
    for d in project.dashboards:
        assert d.uid == dashboard_uid(d.module) and d.source == f"dashboards/{d.module}.py", d.source


def test_with_a_fleet_section_every_discovered_module_builds(tmp_path):
    from tests.fleet.conftest import write_fleet_inventory

    every = {name for name, _path, _module in definitions.modules("dashboards")}
    built = definitions.load_dashboards(inventory.load(write_fleet_inventory(tmp_path)))
    assert FLEET_ONLY < every and {d.module for d in built} == every


def test_the_committed_dashboards_are_the_discovered_ones(expected):
    shipped = {p.stem for p in (PROJECT_ROOT / "generated" / "dashboards").glob("*.json")}
    assert shipped == expected


def test_shipped_dashboards_lint_clean(project):
    assert [str(f) for f in dashboard_lint.check_project(project)] == []


def test_every_panel_query_passes_the_catalog_contract(project):
    findings = [str(f) for f in contract.check_project(project) if f.where.startswith("dashboard ")]
    assert findings == []


def test_every_vv_metric_is_on_a_dashboard(project):
    used = metric_coverage.used_metrics(project)
    on_dashboards = {name for name, where in used.items() if any(w.startswith("dashboard ") for w in where)}
    assert [m.name for m in project.catalog.vv_metrics() if m.name not in on_dashboards] == []


def test_model_shape_is_grafanas_current_model(models):
    for uid, model in models.items():
        assert model["schemaVersion"] == SCHEMA_VERSION, uid
        assert model["id"] is None and "rows" not in model, uid
        assert "vvdash" in model["tags"] and model["links"][0]["type"] == "dashboards", uid
        ids = [p["id"] for p in iter_panels(model)]
        assert len(ids) == len(set(ids)) and all(isinstance(i, int) and i > 0 for i in ids), uid
        for panel in iter_panels(model):
            pos = panel["gridPos"]
            assert 0 <= pos["x"] and pos["x"] + pos["w"] <= GRID_COLUMNS and pos["h"] >= 1, (uid, panel["title"])
            if panel["type"] in DATA_PANEL_TYPES:
                assert panel["datasource"] == {"type": "prometheus", "uid": "${datasource}"}, (uid, panel["title"])
                assert panel["description"] and panel["fieldConfig"]["defaults"]["unit"], (uid, panel["title"])
        for _panel, target in iter_targets(model):
            assert set(target["datasource"]) == {"type", "uid"} and re.fullmatch(r"[A-Z]", target["refId"])
        refs = [(p["id"], t["refId"]) for p, t in iter_targets(model)]
        assert len(refs) == len(set(refs)), uid


def test_every_rate_and_increase_uses_rate_interval(models):
    for uid, model in models.items():
        for panel, target in iter_targets(model):
            for window in re.findall(r"\b(?:rate|irate|increase)\([^\[]*\[([^\]]+)\]", target["expr"]):
                assert window == "$__rate_interval", (uid, panel["title"], target["expr"])


def test_job_names_come_from_vvdash_jobs(models):
    known = set(JOB.values())
    for uid, model in models.items():
        text = json.dumps(model)
        for value in re.findall(r'job=~?\\"([^\\"$]+)\\"', text):
            assert set(value.split("|")) <= known, (uid, value)


def test_the_datasource_variable_defaults_to_the_provisioned_uid(models):
    inv = inventory.load()
    for uid, model in models.items():
        ds = next(v for v in model["templating"]["list"] if v["name"] == "datasource")
        assert ds["current"]["value"] == inv["grafana"]["datasource_uid"], uid


def test_firing_alerts_are_annotations_from_prometheus(models):
    for model in models.values():
        annotation = next(a for a in model["annotations"]["list"] if a.get("name") == "Firing alerts")
        assert annotation["expr"] == 'ALERTS{alertstate="firing"}'
        assert annotation["datasource"] == {"type": "prometheus", "uid": "${datasource}"}


def test_generated_json_is_deterministic(project, expected):
    first = emit_dashboards.emit(project)
    second = emit_dashboards.emit(load_project())
    assert first == second
    assert set(first) == {f"dashboards/{uid}.json" for uid in expected}
    for content in first.values():
        assert json.loads(content) and content.endswith(b"\n")


# -- one number, two uses ----------------------------------------------------------------
def _panel(model, title):
    return next(p for p in iter_panels(model) if p["title"] == title)


def _steps(panel):
    return [s["value"] for s in panel["fieldConfig"]["defaults"]["thresholds"]["steps"]]


def test_time_to_full_is_the_alerts_expression_with_the_variables_added(models):
    inv = inventory.load()
    scope = 'site=~"$site", job=~"$job", instance=~"$instance"'
    # Over days the panel reads the alert's expression recorded at each evaluation, not a 6 h fit per step.
    panel = _panel(models["vv-storage"], "Time until full")
    assert panel["targets"][0]["expr"] == f"{R.STORAGE_SECONDS_UNTIL_FULL}{{{scope}}}"
    [rule] = [r for f in definitions.load_rules(inv) for _, r in f.rules()
              if getattr(r, "record", None) == R.STORAGE_SECONDS_UNTIL_FULL]
    assert rule.expr == exprs.seconds_until_full(inv)
    stat = _panel(models["vv-storage"], "Time until the storage filesystem is full")
    assert stat["targets"][0]["expr"].replace(f", {scope}", "") == f"min({exprs.seconds_until_full(inv)})"
    condition = _panel(models["vv-storage"], "Filesystems meeting the disk-exhaustion condition")
    horizon = inv["thresholds"]["storage"]["fill_warning_horizon"]
    assert condition["targets"][0]["expr"].replace(f", {scope}", "") == \
        f"count({exprs.storage_filling_up(inv, horizon)}) or vector(0)"


def test_thresholds_follow_the_inventory(tmp_path):
    import dashboards.pipeline
    import dashboards.storage
    from vvdash.model.dashboards import to_model

    text = (PROJECT_ROOT / "vvdash.yaml").read_text()
    changed = text.replace("stage_error_ratio: 0.05", "stage_error_ratio: 0.2") \
                  .replace("fill_critical_horizon: 4h", "fill_critical_horizon: 2h")
    assert changed != text
    path = tmp_path / "vvdash.yaml"
    path.write_text(changed)
    inv = inventory.load(path)
    pipeline = to_model(dashboards.pipeline.dashboard(inv))
    assert _steps(_panel(pipeline, "Error ratio by stage")) == [None, 0.1, 0.2]
    storage = to_model(dashboards.storage.dashboard(inv))
    assert _steps(_panel(storage, "Time until full"))[1] == 7200


def test_corrupted_files_colours_follow_the_inventory(tmp_path):
    import dashboards.overview
    from vvdash.model.dashboards import to_model

    text = (PROJECT_ROOT / "vvdash.yaml").read_text()
    changed = text.replace("corrupted_files_warning: 1\n", "corrupted_files_warning: 3\n") \
                  .replace("corrupted_files_critical: 10\n", "corrupted_files_critical: 25\n")
    assert changed.count("corrupted_files_") == text.count("corrupted_files_") and changed != text
    path = tmp_path / "vvdash.yaml"
    path.write_text(changed)
    overview = to_model(dashboards.overview.dashboard(inventory.load(path)))
    assert _steps(_panel(overview, "Files in corrupted/")) == [None, 3, 25]


def test_overview_headlines_link_to_the_dashboard_that_explains_them(models, expected):
    links = {p["title"]: p["links"] for p in iter_panels(models["vv-overview"]) if p.get("links")}
    assert links["Time until storage full"] == [
        {"title": "Open vv-storage", "targetBlank": False,
         "url": "/d/vv-storage?${__url_time_range}&${site:queryparam}"}]
    for title, panel_links in links.items():
        for link in panel_links:
            assert link["url"].split("?")[0].removeprefix("/d/") in expected, title
