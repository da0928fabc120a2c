"""The Grafana stand-in answers as Grafana's HTTP API documents: status codes, bodies, version counters."""

from __future__ import annotations

import requests

from upload_helpers import EDITOR_TOKEN, VIEWER_TOKEN

H = {"Authorization": f"Bearer {EDITOR_TOKEN}"}


def _save(standin, dash, headers=H, **body):
    return requests.post(f"{standin.url}/api/dashboards/db", json={"dashboard": dash, **body}, headers=headers,
                         timeout=5)


def test_health_needs_no_auth(standin):
    r = requests.get(f"{standin.url}/api/health", timeout=5)
    assert r.status_code == 200 and r.json()["database"] == "ok" and "version" in r.json()


def test_auth_401_without_or_with_a_bad_token(standin):
    assert requests.get(f"{standin.url}/api/search", timeout=5).json()["message"] == "Unauthorized"
    r = requests.get(f"{standin.url}/api/search", headers={"Authorization": "Bearer nope"}, timeout=5)
    assert (r.status_code, r.json()["message"]) == (401, "Invalid API key")


def test_save_create_then_update_with_version_counter_and_412_on_stale_version(standin):
    r = _save(standin, {"uid": "abc", "title": "Production Overview", "tags": ["t1"]})
    assert r.status_code == 200
    body = r.json()
    assert body == {"id": body["id"], "uid": "abc", "url": "/d/abc/production-overview", "status": "success",
                    "version": 1, "slug": "production-overview", "folderUid": ""}
    r = _save(standin, {"uid": "abc", "title": "Production Overview", "version": 1})
    assert (r.status_code, r.json()["version"]) == (200, 2)
    stale = _save(standin, {"uid": "abc", "title": "Production Overview", "version": 1})
    assert stale.status_code == 412
    assert stale.json() == {"message": "The dashboard has been changed by someone else", "status": "version-mismatch"}
    forced = _save(standin, {"uid": "abc", "title": "Production Overview", "version": 1}, overwrite=True)
    assert (forced.status_code, forced.json()["version"]) == (200, 3)
    got = requests.get(f"{standin.url}/api/dashboards/uid/abc", headers=H, timeout=5).json()
    assert got["dashboard"]["version"] == 3 and got["dashboard"]["id"] == body["id"]
    assert got["meta"]["slug"] == "production-overview" and got["meta"]["folderUid"] == ""


def test_save_errors_400_and_name_exists(standin):
    r = requests.post(f"{standin.url}/api/dashboards/db", data=b"{not json", headers=H, timeout=5)
    assert (r.status_code, r.json()) == (400, {"message": "bad request data"})
    assert _save(standin, {"uid": "x", "title": " "}).json() == {"message": "Dashboard title cannot be empty"}
    assert _save(standin, {"uid": "a/b", "title": "T"}).json() == {"message": "uid contains illegal characters"}
    r = _save(standin, {"uid": "x", "title": "T"}, folderUid="missing")
    assert (r.status_code, r.json()["message"]) == (400, "folder not found")
    assert _save(standin, {"uid": "one", "title": "Same"}).status_code == 200
    clash = _save(standin, {"uid": "two", "title": "same"})
    assert (clash.status_code, clash.json()["status"]) == (412, "name-exists")


def test_get_and_delete_404_bodies(standin):
    r = requests.get(f"{standin.url}/api/dashboards/uid/none", headers=H, timeout=5)
    assert (r.status_code, r.json()["message"]) == (404, "Dashboard not found")
    r = requests.delete(f"{standin.url}/api/dashboards/uid/none", headers=H, timeout=5)
    assert r.status_code == 404
    _save(standin, {"uid": "gone", "title": "Gone soon"})
    r = requests.delete(f"{standin.url}/api/dashboards/uid/gone", headers=H, timeout=5)
    assert r.json() == {"title": "Gone soon", "message": "Dashboard Gone soon deleted", "id": r.json()["id"]}


def test_folders_and_search_by_tag(standin):
    r = requests.get(f"{standin.url}/api/folders/f1", headers=H, timeout=5)
    assert (r.status_code, r.json()) == (404, {"message": "folder not found", "status": "not-found"})
    r = requests.post(f"{standin.url}/api/folders", json={"uid": "f1", "title": "Folder one"}, headers=H, timeout=5)
    assert r.status_code == 200 and r.json()["uid"] == "f1" and r.json()["url"] == "/dashboards/f/f1/folder-one"
    dup = requests.post(f"{standin.url}/api/folders", json={"uid": "f1", "title": "Again"}, headers=H, timeout=5)
    assert dup.status_code == 409
    _save(standin, {"uid": "d1", "title": "D1", "tags": ["a", "b"]}, folderUid="f1")
    _save(standin, {"uid": "d2", "title": "D2", "tags": ["a"]})
    hits = requests.get(f"{standin.url}/api/search", params={"tag": "a", "type": "dash-db"}, headers=H,
                        timeout=5).json()
    assert [h["uid"] for h in hits] == ["d1", "d2"]
    assert hits[0]["folderUid"] == "f1" and hits[0]["type"] == "dash-db" and hits[0]["tags"] == ["a", "b"]
    both = requests.get(f"{standin.url}/api/search", params=[("tag", "a"), ("tag", "b")], headers=H, timeout=5)
    assert [h["uid"] for h in both.json()] == ["d1"]
    in_f1 = requests.get(f"{standin.url}/api/search", params={"tag": "a", "folderUIDs": "f1"}, headers=H, timeout=5)
    assert [h["uid"] for h in in_f1.json()] == ["d1"]


def test_title_clash_is_by_slug_in_the_folder(standin):
    assert _save(standin, {"uid": "one", "title": "Disk Usage"}).status_code == 200
    for title in ("disk usage", "Disk-Usage!"):
        clash = _save(standin, {"uid": "two", "title": title})
        assert (clash.status_code, clash.json()["status"]) == (412, "name-exists")
    assert _save(standin, {"uid": "two", "title": "Disk Usage 2"}).status_code == 200


def test_viewer_gets_403_naming_the_missing_action(standin):
    r = _save(standin, {"uid": "v", "title": "V"}, headers={"Authorization": f"Bearer {VIEWER_TOKEN}"})
    assert r.status_code == 403
    assert r.json()["message"].endswith("Permissions needed: dashboards:create")
    assert r.json()["title"] == "Access denied"


# -- Grafana 12's resource API and nested folders ------------------------------------------------------
def test_discovery_and_namespace_as_grafana_12_announces_them():
    from tests.grafana_standin import GRAFANA_12, LEGACY_ONLY, GrafanaStandin

    with GrafanaStandin(tokens={EDITOR_TOKEN: "Editor"}, dashboard_apis=GRAFANA_12, org_id=2) as g12, \
            GrafanaStandin(tokens={EDITOR_TOKEN: "Editor"}, dashboard_apis=LEGACY_ONLY) as g11:
        groups = requests.get(f"{g12.url}/apis", headers=H, timeout=5).json()["groups"]
        dash = next(g for g in groups if g["name"] == "dashboard.grafana.app")
        assert [v["version"] for v in dash["versions"]] == list(GRAFANA_12)
        assert dash["preferredVersion"]["version"] == "v0alpha1"
        assert requests.get(f"{g12.url}/api/frontend/settings", headers=H, timeout=5).json()["namespace"] == "org-2"
        groups = requests.get(f"{g11.url}/apis", headers=H, timeout=5).json()["groups"]
        assert "dashboard.grafana.app" not in [g["name"] for g in groups]
        r = requests.get(f"{g12.url}/apis/dashboard.grafana.app/v1beta1/namespaces/default/dashboards", headers=H,
                         timeout=5)
        assert (r.status_code, r.json()["reason"]) == (403, "Forbidden")      # not this token's org


def _resource(name, title, rv=None, folder=""):
    meta = {"name": name, "annotations": {"grafana.app/folder": folder} if folder else {}}
    if rv:
        meta["resourceVersion"] = rv
    return {"apiVersion": "dashboard.grafana.app/v1beta1", "kind": "Dashboard", "metadata": meta,
            "spec": {"title": title, "schemaVersion": 42}}


def test_resource_versions_and_conflicts(standin):
    base = f"{standin.url}/apis/dashboard.grafana.app/v1beta1/namespaces/default/dashboards"
    standin.dashboard_apis = ("v1beta1",)
    created = requests.post(base, json=_resource("r1", "R one"), headers=H, timeout=5)
    assert created.status_code == 200
    rv = created.json()["metadata"]["resourceVersion"]
    assert created.json()["metadata"]["generation"] == 1
    again = requests.post(base, json=_resource("r1", "R one"), headers=H, timeout=5)
    assert (again.status_code, again.json()["reason"]) == (409, "AlreadyExists")
    updated = requests.put(f"{base}/r1", json=_resource("r1", "R two", rv), headers=H, timeout=5)
    assert updated.status_code == 200 and updated.json()["metadata"]["generation"] == 2
    stale = requests.put(f"{base}/r1", json=_resource("r1", "R three", rv), headers=H, timeout=5)
    assert (stale.status_code, stale.json()["reason"]) == (409, "Conflict")
    assert "the object has been modified" in stale.json()["message"]
    blind = requests.put(f"{base}/r1", json=_resource("r1", "R four"), headers=H, timeout=5)   # no resourceVersion
    assert blind.status_code == 200 and blind.json()["spec"]["title"] == "R four"
    legacy = requests.get(f"{standin.url}/api/dashboards/uid/r1", headers=H, timeout=5).json()
    assert legacy["dashboard"]["title"] == "R four" and legacy["dashboard"]["version"] == 3
    gone = requests.delete(f"{base}/r1", headers=H, timeout=5)
    assert gone.json()["status"] == "Success"
    missing = requests.get(f"{base}/r1", headers=H, timeout=5)
    assert (missing.status_code, missing.json()["reason"]) == (404, "NotFound")


def test_a_v2_stored_dashboard_answers_406_on_the_legacy_api(standin):
    standin.dashboard_apis = ("v1beta1", "v2beta1")
    standin.seed_v2_dashboard("v2dash", "New editor")
    r = requests.get(f"{standin.url}/api/dashboards/uid/v2dash", headers=H, timeout=5)
    assert r.status_code == 406
    assert r.json()["message"] == ("dashboard api version not supported, use "
                                   "/apis/dashboard.grafana.app/v2beta1/namespaces/default/dashboards/v2dash instead")
    base = f"{standin.url}/apis/dashboard.grafana.app"
    v1 = requests.get(f"{base}/v1beta1/namespaces/default/dashboards/v2dash", headers=H, timeout=5).json()
    assert v1["spec"] == {} and v1["status"]["conversion"]["failed"] is True
    assert v1["status"]["conversion"]["storedVersion"] == "v2beta1"
    v2 = requests.get(f"{base}/v2beta1/namespaces/default/dashboards/v2dash", headers=H, timeout=5).json()
    assert v2["spec"]["title"] == "New editor" and "elements" in v2["spec"]


def test_nested_folders_titles_are_unique_among_siblings(standin):
    post = lambda body: requests.post(f"{standin.url}/api/folders", json=body, headers=H, timeout=5)  # noqa: E731
    assert post({"uid": "top", "title": "VV"}).status_code == 200
    assert post({"uid": "a", "title": "Site A", "parentUid": "top"}).status_code == 200
    assert post({"uid": "a2", "title": "Site A"}).status_code == 200              # another parent: allowed
    assert post({"uid": "a3", "title": "Site A", "parentUid": "top"}).status_code == 409
    assert post({"uid": "x", "title": "X", "parentUid": "nope"}).status_code == 404
    got = requests.get(f"{standin.url}/api/folders/a", headers=H, timeout=5).json()
    assert got["parentUid"] == "top" and [p["uid"] for p in got["parents"]] == ["top"]
    children = requests.get(f"{standin.url}/api/folders", params={"parentUid": "top"}, headers=H, timeout=5).json()
    assert [c["uid"] for c in children] == ["a"]
