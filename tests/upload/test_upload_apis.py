"""upload and diff against Grafana 12 and 13 (the dashboard.grafana.app resource API) and against a Grafana
that offers only the legacy API: the same behaviour through whichever API Grafana announces."""

from __future__ import annotations

import pytest
import yaml

from upload_helpers import ADMIN_PASSWORD, ADMIN_TOKEN, EDITOR_TOKEN, FAST, FOLDER_UID, VIEWER_TOKEN, dashboard, \
    upload_args, write_dashboards

from tests.grafana_standin import GRAFANA_12, GRAFANA_13, LEGACY_ONLY, GrafanaStandin
from tests.helpers import PROJECT_ROOT
from vvdash.ship.folders import parent_uid
from vvdash.ship.local import MANAGED_TAG, RECORD_KEY

KINDS = {"grafana11": LEGACY_ONLY, "grafana12": GRAFANA_12, "grafana13": GRAFANA_13}
RESOURCE = {"grafana12": "v1beta1", "grafana13": "v1"}
FOLDERS = "/apis/folder.grafana.app/{}/namespaces/default/folders"


def _grafana(apis, **extra) -> GrafanaStandin:
    return GrafanaStandin(tokens={EDITOR_TOKEN: "Editor", VIEWER_TOKEN: "Viewer", ADMIN_TOKEN: "Admin"},
                          users={"admin": (ADMIN_PASSWORD, "Admin")}, dashboard_apis=apis, **extra)


@pytest.fixture(params=list(KINDS))
def grafana(request):
    server = _grafana(KINDS[request.param])
    server.kind = request.param
    with server:
        yield server


@pytest.fixture(params=["grafana12", "grafana13"])
def grafana_v2(request):
    server = _grafana(KINDS[request.param])
    server.kind = request.param
    with server:
        yield server


def _dashboard_writes(server):
    return [w for w in server.writes if "/dashboards" in w.path and w.path != "/api/folders"]


def _base(server, namespace="default") -> str:
    return f"/apis/dashboard.grafana.app/{RESOURCE[server.kind]}/namespaces/{namespace}/dashboards"


def _counts(run) -> list[str]:
    return run.lines("dashboards  ")[0].split()[1:]      # created updated unchanged changed-in-Grafana deleted failed


def test_create_then_a_second_run_writes_nothing(vv, grafana, dash_dir):
    run = vv(*upload_args(grafana, dash_dir))
    assert run.code == 0, run.out + run.err
    writes = _dashboard_writes(grafana)
    if grafana.kind in RESOURCE:
        assert [(w.method, w.path) for w in writes] == [("POST", _base(grafana))] * 5
        assert f"dashboards through the dashboard.grafana.app/{RESOURCE[grafana.kind]} in namespace default" in run.err
    else:
        assert [(w.method, w.path) for w in writes] == [("POST", "/api/dashboards/db")] * 5
        assert "dashboards through the legacy API" in run.err
    stored = grafana.dashboards["vv-fix-1"]
    assert stored["folder_uid"] == FOLDER_UID and MANAGED_TAG in stored["data"]["tags"]
    assert len(stored["data"][RECORD_KEY]["sha256"]) == 64          # what vvdash wrote, recorded
    grafana.reset_log()
    again = vv(*upload_args(grafana, dash_dir))
    assert again.code == 0 and grafana.writes == []
    assert _counts(again) == ["0", "0", "5", "0", "0", "0"]


def test_numbers_grafana_writes_back_differently_are_no_change(vv, grafana, tmp_path):
    """Go writes 25.0 back as 25: neither a difference nor an edit made in Grafana."""
    model = dashboard("vv-floats")
    model["panels"][0]["fieldConfig"] = {"defaults": {"thresholds": {"mode": "absolute", "steps": [
        {"color": "green", "value": None}, {"color": "red", "value": 25.0}]}, "max": 108000.0, "min": 1e-09},
        "overrides": []}
    folder = write_dashboards(tmp_path / "floats", [model])
    assert vv(*upload_args(grafana, folder)).code == 0
    assert grafana.dashboards["vv-floats"]["data"]["panels"][0]["fieldConfig"]["defaults"]["max"] == 108000
    grafana.reset_log()
    again = vv(*upload_args(grafana, folder))
    assert again.code == 0, again.out
    assert grafana.writes == [] and _counts(again) == ["0", "0", "1", "0", "0", "0"]


def test_update_names_the_version_it_replaces(vv, grafana, dash_dir):
    assert vv(*upload_args(grafana, dash_dir)).code == 0
    before = grafana.dashboards["vv-fix-3"]["resource_version"]
    write_dashboards(dash_dir, [dashboard("vv-fix-3", description="now described")])
    grafana.reset_log()
    run = vv(*upload_args(grafana, dash_dir))
    assert run.code == 0, run.out
    writes = _dashboard_writes(grafana)
    assert len(writes) == 1 and writes[0].summary["uid"] == "vv-fix-3"
    if grafana.kind in RESOURCE:   # optimistic: Grafana answers 409 if the resourceVersion is stale
        assert (writes[0].method, writes[0].summary["resourceVersion"]) == ("PUT", before)
    else:
        assert writes[0].summary["overwrite"] is False
    assert grafana.dashboards["vv-fix-3"]["data"]["description"] == "now described"
    assert _counts(run) == ["0", "1", "4", "0", "0", "0"]


@pytest.mark.parametrize("keep_unknown_keys", [False, True], ids=["editor-drops-the-record", "record-kept"])
def test_an_edit_made_in_grafana_is_left_alone_then_overwritten_with_force(vv, grafana, dash_dir, keep_unknown_keys):
    assert vv(*upload_args(grafana, dash_dir)).code == 0
    grafana.edit_in_ui("vv-fix-2", keep_unknown_keys=keep_unknown_keys, description="added by a person")
    grafana.reset_log()
    run = vv(*upload_args(grafana, dash_dir))
    assert run.code == 1
    assert _dashboard_writes(grafana) == []
    line = next(line for line in run.lines("changed in Grafana") if "vv-fix-2" in line and line.startswith("["))
    assert "edited since vvdash's last upload (version 2 by someone-else" in line
    assert "`vvdash upload --force`" in line
    # The edit itself, from Grafana's history: vvdash's last upload against Grafana's copy now.
    assert "    --- grafana:vv-fix-2 version 1 (vvdash's last upload by token)" in run.out
    assert "    +++ grafana:vv-fix-2 version 2 by someone-else" in run.out
    assert '    +  "description": "added by a person",' in run.out
    assert _counts(run) == ["0", "0", "4", "1", "0", "0"]
    assert grafana.dashboards["vv-fix-2"]["data"]["description"] == "added by a person"

    diff = vv("diff", "--grafana-url", grafana.url, "--dashboards", dash_dir, *FAST)
    assert diff.code == 1
    out = diff.out.splitlines()
    assert any(line.startswith("# dashboard vv-fix-2") and "changed in Grafana" in line for line in out)
    # Both sides: the edit made in Grafana, then what an upload would change (that edit undone).
    assert out.index("--- grafana:vv-fix-2 version 1 (vvdash's last upload by token)") < \
        out.index('+  "description": "added by a person",') < \
        out.index(f"+++ {dash_dir / 'vv-fix-2.json'}") < out.index('-  "description": "added by a person",')
    head = next(line for line in out if line.startswith("--- grafana:vv-fix-2 (version 2"))
    assert "changed in Grafana since vvdash's last upload" in head
    assert "1 changed in Grafana" in diff.err

    forced = vv(*upload_args(grafana, dash_dir, "--force"))
    assert forced.code == 0, forced.out
    assert forced.lines("overwrote changes made in Grafana")
    assert "description" not in grafana.dashboards["vv-fix-2"]["data"]
    grafana.reset_log()
    assert vv(*upload_args(grafana, dash_dir)).code == 0 and grafana.writes == []


def test_without_an_upload_in_the_history_the_upload_diff_is_shown(vv, grafana, dash_dir):
    """A managed dashboard with no record and no upload by vvdash in its history (copied in by hand)."""
    grafana.seed_folder(FOLDER_UID, "VV Video AI")
    grafana.seed_dashboard(dashboard("vv-fix-1", tags=["vv", MANAGED_TAG], description="copied in"),
                           folder_uid=FOLDER_UID)
    run = vv(*upload_args(grafana, dash_dir))
    assert run.code == 1
    line = next(line for line in run.out.splitlines() if line.startswith("[") and "vv-fix-1" in line)
    assert "Below: what an upload would change (Grafana's history has no earlier upload to compare)" in line
    assert '    -  "description": "copied in",' in run.out
    assert grafana.dashboards["vv-fix-1"]["data"]["description"] == "copied in"


def test_a_dashboard_uploaded_before_vvdash_kept_records_is_updated(vv, grafana, dash_dir):
    """Uploaded by a vvdash that wrote no record: its version message says so; an update, not an edit."""
    grafana.seed_folder(FOLDER_UID, "VV Video AI")
    grafana.seed_dashboard(dashboard("vv-fix-1", tags=["vv", MANAGED_TAG], description="old definition"),
                           folder_uid=FOLDER_UID, message="vvdash upload (git 0123456789ab)")
    run = vv(*upload_args(grafana, dash_dir))
    assert run.code == 0, run.out
    assert run.lines("updated      vv-fix-1")
    assert "description" not in grafana.dashboards["vv-fix-1"]["data"]


def test_a_save_in_the_editor_that_changed_nothing_is_no_edit(vv, grafana, dash_dir):
    """The editor's save drops the record but keeps the content: a later change of vvdash's goes through."""
    assert vv(*upload_args(grafana, dash_dir)).code == 0
    grafana.edit_in_ui("vv-fix-3")                          # saved, nothing changed; the record is gone
    assert RECORD_KEY not in grafana.dashboards["vv-fix-3"]["data"]
    grafana.reset_log()
    assert vv(*upload_args(grafana, dash_dir)).code == 0 and grafana.writes == []
    write_dashboards(dash_dir, [dashboard("vv-fix-3", description="a change of vvdash's")])
    run = vv(*upload_args(grafana, dash_dir))
    assert run.code == 0, run.out
    assert run.lines("updated      vv-fix-3")
    assert grafana.dashboards["vv-fix-3"]["data"]["description"] == "a change of vvdash's"


def test_a_save_between_read_and_write_is_a_conflict(vv, grafana, dash_dir):
    assert vv(*upload_args(grafana, dash_dir)).code == 0
    write_dashboards(dash_dir, [dashboard("vv-fix-4", description="ours")])
    grafana.concurrent_edit("vv-fix-4")
    run = vv(*upload_args(grafana, dash_dir))
    assert run.code == 1
    line = next(line for line in run.lines("failed") if "vv-fix-4" in line)
    expected = "409 Conflict: stale resourceVersion" if grafana.kind in RESOURCE else "412 version-mismatch"
    assert expected in line and "`vvdash upload --force`" in line
    assert grafana.dashboards["vv-fix-4"]["data"]["description"] == "edited in the UI"
    # --force, and someone saves again right after vvdash's read: the resource API refuses the stale
    # resourceVersion once, vvdash reads again and writes with the new one; the legacy API's overwrite wins.
    grafana.concurrent_edit("vv-fix-4")
    grafana.reset_log()
    forced = vv(*upload_args(grafana, dash_dir, "--force"))
    assert forced.code == 0, forced.out
    statuses = [w.status for w in _dashboard_writes(grafana) if w.summary.get("uid") == "vv-fix-4"]
    assert statuses == ([409, 200] if grafana.kind in RESOURCE else [200])
    assert grafana.dashboards["vv-fix-4"]["data"]["description"] == "ours"


def test_prune_deletes_only_managed_dashboards_directly_in_the_folder(vv, grafana, dash_dir):
    assert vv(*upload_args(grafana, dash_dir)).code == 0
    grafana.seed_folder("inside", "Inside", parent_uid=FOLDER_UID)
    grafana.seed_folder("other", "Other")
    grafana.seed_dashboard(dashboard("in-subfolder", "In subfolder", tags=[MANAGED_TAG]), folder_uid="inside")
    grafana.seed_dashboard(dashboard("in-other", "In other", tags=[MANAGED_TAG]), folder_uid="other")
    grafana.seed_dashboard(dashboard("hand-made", "Hand made", tags=["vv"]), folder_uid=FOLDER_UID)
    (dash_dir / "vv-fix-5.json").unlink()
    grafana.reset_log()
    run = vv(*upload_args(grafana, dash_dir, "--prune"))
    assert run.code == 0, run.out
    deletes = [(w.method, w.path) for w in grafana.writes]
    path = f"{_base(grafana)}/vv-fix-5" if grafana.kind in RESOURCE else "/api/dashboards/uid/vv-fix-5"
    assert deletes == [("DELETE", path)]
    assert {"in-subfolder", "in-other", "hand-made"} <= set(grafana.dashboards) and "vv-fix-5" not in grafana.dashboards


def test_a_v2_stored_dashboard_is_reported_in_one_line_and_replaced_with_force(vv, grafana_v2, dash_dir):
    grafana_v2.seed_folder(FOLDER_UID, "VV Video AI")
    grafana_v2.seed_v2_dashboard("vv-fix-3", "Fixture vv-fix-3 (new editor)", FOLDER_UID, tags=["vv", MANAGED_TAG])
    run = vv(*upload_args(grafana_v2, dash_dir))
    assert run.code == 1
    lines = [line for line in run.out.splitlines() if "vv-fix-3" in line and line.startswith("[")]
    assert len(lines) == 1
    assert "Grafana stores it 'Fixture vv-fix-3 (new editor)' in the v2 dashboard format (v2beta1" in lines[0]
    assert "`vvdash upload --force` replaces it" in lines[0]
    # Its title was read through the version that stores it.
    assert any(r.path.endswith("/v2beta1/namespaces/default/dashboards/vv-fix-3") for r in grafana_v2.requests)
    assert grafana_v2.dashboards["vv-fix-3"]["stored_version"] == "v2beta1"
    diff = vv("diff", "--grafana-url", grafana_v2.url, "--dashboards", dash_dir, *FAST)
    assert diff.code == 1 and "stored in the v2 dashboard format (v2beta1)" in diff.out
    forced = vv(*upload_args(grafana_v2, dash_dir, "--force"))
    assert forced.code == 0, forced.out
    assert grafana_v2.dashboards["vv-fix-3"]["stored_version"] == "v1"
    assert grafana_v2.dashboards["vv-fix-3"]["data"]["title"] == "Fixture vv-fix-3"


def test_406_from_the_legacy_api_is_read_through_the_v2_api(vv, dash_dir):
    """A Grafana serving v2 resources but no v1 one: dashboards go through /api, a v2-stored one answers 406."""
    with _grafana(("v0alpha1", "v2beta1")) as server:
        server.seed_v2_dashboard("vv-fix-1", "Made in the new editor", tags=[MANAGED_TAG])
        run = vv(*upload_args(server, dash_dir))
        assert run.code == 1
        assert "dashboards through the legacy API" in run.err
        assert [r.status for r in server.requests if r.path == "/api/dashboards/uid/vv-fix-1"] == [406]
        line = next(line for line in run.out.splitlines() if line.startswith("[") and "vv-fix-1" in line)
        assert "stores it 'Made in the new editor' in the v2 dashboard format (v2beta1" in line
        assert len(server.dashboards) == 5


def _inventory(tmp_path, url, **grafana) -> str:
    data = yaml.safe_load((PROJECT_ROOT / "vvdash.yaml").read_text())
    data["grafana"].update(url=url, **grafana)
    path = tmp_path / "vvdash.yaml"
    path.write_text(yaml.safe_dump(data))
    return str(path)


def test_a_nested_folder_is_created_level_by_level(vv, grafana, dash_dir, tmp_path):
    inventory = _inventory(tmp_path, grafana.url, folder="VV/Sites/Site A")
    grafana.seed_folder("hand-made-vv", "VV")               # the top level exists already: used, not duplicated
    run = vv("--inventory", inventory, "upload", "--dashboards", dash_dir, *FAST)
    assert run.code == 0, run.out + run.err
    sites = parent_uid(["VV", "Sites", "Site A"], 2)
    folders_path = {"grafana11": "/api/folders", "grafana12": FOLDERS.format("v1beta1"),
                    "grafana13": FOLDERS.format("v1")}[grafana.kind]
    assert [(w.path, w.summary["uid"], w.summary["title"], w.summary["parentUid"]) for w in grafana.writes
            if w.path.endswith("/folders")] == [(folders_path, sites, "Sites", "hand-made-vv"),
                                                  (folders_path, FOLDER_UID, "Site A", sites)]
    assert grafana.folders[FOLDER_UID]["parentUid"] == sites
    assert all(d["folder_uid"] == FOLDER_UID for d in grafana.dashboards.values())
    # The folders are found again: nothing is written by a second run, and prune stays in "Site A".
    grafana.seed_dashboard(dashboard("in-vv", "In VV", tags=[MANAGED_TAG]), folder_uid="hand-made-vv")
    grafana.reset_log()
    again = vv("--inventory", inventory, "upload", "--dashboards", dash_dir, "--prune", *FAST)
    assert again.code == 0 and grafana.writes == []
    assert "in-vv" in grafana.dashboards


def test_a_folder_path_with_an_empty_level_is_refused(vv, grafana, dash_dir, tmp_path):
    run = vv("--inventory", _inventory(tmp_path, grafana.url, folder="VV//Site A"), "upload", "--dashboards",
             dash_dir, *FAST)
    assert run.code == 2
    assert "grafana.folder: 'VV//Site A' has an empty level" in run.err
    assert grafana.writes == []


@pytest.mark.parametrize("extra, namespace", [({"org_id": 3}, "org-3"), ({"stack_id": 4711}, "stacks-4711")])
def test_the_namespace_is_the_one_grafana_names(vv, dash_dir, extra, namespace):
    with _grafana(GRAFANA_12, **extra) as server:
        run = vv(*upload_args(server, dash_dir))
        assert run.code == 0, run.out
        assert {w.path for w in server.writes} == {
            f"/apis/dashboard.grafana.app/v1beta1/namespaces/{namespace}/dashboards",
            f"/apis/folder.grafana.app/v1beta1/namespaces/{namespace}/folders"}


def test_the_api_is_chosen_by_asking_grafana_not_by_its_version(vv, dash_dir):
    # A 12.4 whose resource API is switched off, one behind a proxy that hides /apis, one that refuses to
    # answer discovery: the legacy API each time.
    with _grafana(LEGACY_ONLY, version="12.4.11") as off, _grafana(GRAFANA_12) as hidden, \
            _grafana(GRAFANA_12) as refused:
        hidden.fail(404, "GET", "/apis", times=None)
        refused.fail(403, "GET", "/apis", times=1)          # discovery is the only /apis call before the choice
        for server in (off, hidden, refused):
            run = vv(*upload_args(server, dash_dir))
            assert run.code == 0, run.out
            assert {w.path for w in server.writes} == {"/api/folders", "/api/dashboards/db"}


def test_a_create_whose_answer_was_lost_is_not_a_failure(vv, dash_dir):
    with _grafana(GRAFANA_12) as server:
        server.fail(504, "POST", "/apis/folder.grafana.app/", times=1, lose_answer=True)
        server.fail(504, "POST", "/apis/dashboard.grafana.app/", times=1, lose_answer=True)
        run = vv(*upload_args(server, dash_dir, "--jobs", "1"))
        assert run.code == 0, run.out
        for group in ("folder", "dashboard"):   # each retry met what the first attempt made
            posts = [(w.status, w.summary.get("grafana_status")) for w in server.writes if w.method == "POST"
                     and w.path.startswith(f"/apis/{group}.grafana.app/")]
            assert posts[:2] == [(504, 200), (409, None)], group
        assert f"folder {FOLDER_UID} already existed when created (409)" in run.err
        assert len(server.dashboards) == 5 and all(d["version"] == 1 for d in server.dashboards.values())
