"""Where dashboards live in Grafana: the resource API of Grafana 12+ or the legacy HTTP API.

`open_store(client)` asks Grafana (GET /apis, Kubernetes API discovery) which dashboard.grafana.app
versions it serves: v1 (Grafana 13) or v1beta1 (Grafana 12) is used when offered, /api/dashboards
otherwise (Grafana 10.4, 11, or a 12 with the resource API turned off). Both stores answer with `Remote`,
so sync and diff do not care which one they talk to.

A dashboard Grafana keeps in its v2 format (saved from the new dashboard editor) has no v1 JSON to compare:
the legacy API answers 406, the v1 resource API an empty spec with status.conversion. It is read through
the v2 version that serves it (for its title) and comes back with `stored_as` set.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import quote

from vvdash.ship.client import GrafanaClient, GrafanaError

GROUP = "dashboard.grafana.app"
FOLDER_ANNOTATION = "grafana.app/folder"
MESSAGE_ANNOTATION = "grafana.app/message"
V1_VERSIONS = ("v1", "v1beta1")          # preferred first
LIST_PAGE_SIZE = 500


@dataclass
class Remote:
    uid: str
    dashboard: dict                  # v1 dashboard JSON with uid and version ({} for a v2-stored one)
    folder_uid: str = ""
    version: int | None = None       # what Grafana shows as the version
    updated_by: str = ""
    updated: str = ""
    stored_as: str = ""              # e.g. "v2beta1" when Grafana stores it in the v2 format
    title: str = ""
    precondition: str | int | None = None   # legacy: the version; resource API: metadata.resourceVersion
    provisioned: bool = False        # loaded from provisioning files: Grafana refuses writes to it
    resource: dict = field(default_factory=dict)   # the resource as read (resource API only)

    def describe(self) -> str:
        who = f" by {self.updated_by}" if self.updated_by else ""
        when = f" at {self.updated}" if self.updated else ""
        return f"version {self.version}{who}{when}"


def v2_title(client: GrafanaClient, namespace: str, served: list[str], uid: str, stored: str, what: str) -> str:
    """The title of a v2-stored dashboard, read through the version that stores it if Grafana serves it."""
    if not namespace or stored not in served:
        return ""
    path = f"/apis/{GROUP}/{stored}/namespaces/{quote(namespace)}/dashboards/{quote(uid)}"
    try:
        status, res = client.call("GET", path, what, allow=(404,))
    except GrafanaError:
        return ""
    return ((res or {}).get("spec") or {}).get("title", "") if status != 404 and isinstance(res, dict) else ""


class LegacyStore:
    """/api/dashboards/uid/:uid, /api/dashboards/db, /api/search."""

    def __init__(self, client: GrafanaClient, namespace: str = "", served: list[str] | None = None):
        self.client = client
        self.name = "legacy API (/api/dashboards)"
        self.namespace, self.served = namespace, served or []   # for reading v2-stored dashboards

    def get(self, uid: str, what: str) -> Remote | None:
        payload = self.client.dashboard(uid, what)
        if payload is None:
            return None
        if "not_acceptable" in payload:
            served = re.search(rf"/apis/{re.escape(GROUP)}/([^/]+)/", payload["not_acceptable"])
            stored = served.group(1) if served else "v2"
            return Remote(uid, {}, stored_as=stored,
                          title=v2_title(self.client, self.namespace, self.served, uid, stored, what))
        dash, meta = payload.get("dashboard") or {}, payload.get("meta") or {}
        return Remote(uid, dash, meta.get("folderUid", ""), dash.get("version"), meta.get("updatedBy", ""),
                      meta.get("updated", ""), title=dash.get("title", ""), precondition=dash.get("version"),
                      provisioned=bool(meta.get("provisioned")))

    def save(self, model: dict, folder_uid: str, message: str, previous: Remote | None, overwrite: bool,
             what: str) -> int | None:
        body = dict(model)
        if previous is not None and not overwrite:
            body["version"] = previous.precondition      # Grafana answers 412 if someone saved since the read
        return self.client.save_dashboard(body, folder_uid, message, overwrite=overwrite, what=what).get("version")

    def delete(self, uid: str, what: str) -> bool:
        return self.client.delete_dashboard(uid, what)

    def managed(self, tag: str, folder_uid: str) -> list[dict]:
        """[{uid, title, folderUid, tags}] of dashboards with `tag` directly in `folder_uid`."""
        return [{"uid": h.get("uid", ""), "title": h.get("title", ""), "folderUid": h.get("folderUid", ""),
                 "tags": h.get("tags") or []}
                for h in self.client.search_dashboards(tag, folder_uid) if h.get("type") == "dash-db"]


class ResourceStore:
    """/apis/dashboard.grafana.app/<version>/namespaces/<namespace>/dashboards."""

    def __init__(self, client: GrafanaClient, version: str, namespace: str, served: list[str]):
        self.client, self.version, self.namespace, self.served = client, version, namespace, served
        self.name = f"{GROUP}/{version} in namespace {namespace}"

    def _path(self, name: str = "") -> str:
        base = f"/apis/{GROUP}/{self.version}/namespaces/{quote(self.namespace)}/dashboards"
        return f"{base}/{quote(name)}" if name else base

    def get(self, uid: str, what: str) -> Remote | None:
        status, res = self.client.call("GET", self._path(uid), what, allow=(404,))
        if status == 404 or not isinstance(res, dict):
            return None
        return self._remote(res, what)

    def _remote(self, res: dict, what: str = "") -> Remote:
        meta = res.get("metadata") or {}
        notes = meta.get("annotations") or {}
        uid = meta.get("name", "")
        conversion = (res.get("status") or {}).get("conversion") or {}
        stored = conversion.get("storedVersion") or ""
        spec = res.get("spec") or {}
        common = dict(folder_uid=notes.get(FOLDER_ANNOTATION, ""), version=meta.get("generation"),
                      updated_by=notes.get("grafana.app/updatedBy", ""),
                      updated=notes.get("grafana.app/updatedTimestamp", ""),
                      precondition=meta.get("resourceVersion"), resource=res,
                      provisioned="grafana.app/managedBy" in notes)
        if stored.startswith("v2"):
            title = spec.get("title") or (
                v2_title(self.client, self.namespace, self.served, uid, stored, what) if what else "")
            return Remote(uid, {}, stored_as=stored, title=title, **common)
        dash = {**spec, "uid": uid, "version": meta.get("generation")}
        return Remote(uid, dash, title=spec.get("title", ""), **common)

    def save(self, model: dict, folder_uid: str, message: str, previous: Remote | None, overwrite: bool,
             what: str) -> int | None:
        spec = {k: v for k, v in model.items() if k not in ("id", "version")}
        uid = model["uid"]
        if previous is None:
            meta = {"name": uid, "annotations": {}}
        else:
            old = previous.resource.get("metadata") or {}
            # Always the resourceVersion of the read: Grafana answers 409 Conflict if someone saved since. With
            # `overwrite` too: the caller has just read `previous`, and an update without one is not allowed by
            # every API server (unconditional updates are the resource's choice).
            meta = {"name": uid, "annotations": dict(old.get("annotations") or {}),
                    "labels": dict(old.get("labels") or {}), "resourceVersion": previous.precondition}
        meta["annotations"].pop(FOLDER_ANNOTATION, None)
        if folder_uid:
            meta["annotations"][FOLDER_ANNOTATION] = folder_uid
        if message:
            meta["annotations"][MESSAGE_ANNOTATION] = message
        body = {"apiVersion": f"{GROUP}/{self.version}", "kind": "Dashboard", "metadata": meta, "spec": spec}
        if previous is None:
            _, res = self.client.call("POST", self._path(), what, body=body)
        else:
            _, res = self.client.call("PUT", self._path(uid), what, body=body)
        return ((res or {}).get("metadata") or {}).get("generation") if isinstance(res, dict) else None

    def delete(self, uid: str, what: str) -> bool:
        status, _ = self.client.call("DELETE", self._path(uid), what, allow=(404,))
        return status != 404

    def managed(self, tag: str, folder_uid: str) -> list[dict]:
        """Every dashboard (all list pages) directly in `folder_uid` whose tags include `tag`."""
        out, token = [], ""
        while True:
            params = {"limit": LIST_PAGE_SIZE, **({"continue": token} if token else {})}
            _, page = self.client.call("GET", self._path(), f"list dashboards in {self.namespace}",
                                       params=params)
            page = page if isinstance(page, dict) else {}
            for res in page.get("items") or []:
                remote = self._remote(res)
                tags = (res.get("spec") or {}).get("tags") or []
                if remote.folder_uid == folder_uid and tag in tags:
                    out.append({"uid": remote.uid, "title": remote.title, "folderUid": remote.folder_uid,
                                "tags": tags})
            token = (page.get("metadata") or {}).get("continue") or ""
            if not token:
                return out


def open_store(client: GrafanaClient) -> LegacyStore | ResourceStore:
    """The resource API when Grafana announces a v1 version of it, else the legacy API (asked, not guessed
    from a version string: a 12 may have the resource API off, a proxy may hide /apis)."""
    served = client.api_groups().get(GROUP, [])
    version = next((v for v in V1_VERSIONS if v in served), None)
    if version is None:
        namespace = client.namespace() if any(v.startswith("v2") for v in served) else ""
        return LegacyStore(client, namespace, served)
    return ResourceStore(client, version, client.namespace(), served)
