"""vvdash's folder in Grafana, possibly nested: grafana.folder "VV/Site A" is made level by level.

The last level is the folder the dashboards go to, with the inventory's grafana.folder_uid. A parent level
is found among its parent's children by title (someone may have made it by hand) or created with a uid
derived from its path, so a second run finds the same folder. Nested folders need Grafana 11 or later.

Through folder.grafana.app (the resource API, Grafana 12+) when GET /apis announces it, else /api/folders.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from vvdash.errors import VVError
from urllib.parse import quote

from vvdash.ship.client import GrafanaClient, GrafanaError
from vvdash.ship.report import Reporter

UID_PREFIX = "vvdash-"
GROUP = "folder.grafana.app"
PARENT_ANNOTATION = "grafana.app/folder"
V1_VERSIONS = ("v1", "v1beta1")          # preferred first


class LegacyFolders:
    """/api/folders: {uid, title, parentUid} dicts."""

    def __init__(self, client: GrafanaClient):
        self.client = client

    def get(self, uid: str) -> dict | None:
        return self.client.folder(uid)

    def children(self, parent: str) -> list[dict]:
        return self.client.child_folders(parent)

    def create(self, uid: str, title: str, parent: str) -> None:
        self.client.create_folder(uid, title, parent)


class ResourceFolders:
    """/apis/folder.grafana.app/<version>/namespaces/<namespace>/folders, answering as LegacyFolders does."""

    def __init__(self, client: GrafanaClient, version: str):
        self.client, self.version = client, version
        self.base = f"/apis/{GROUP}/{version}/namespaces/{quote(client.namespace())}/folders"

    @staticmethod
    def _plain(res: dict) -> dict:
        meta = res.get("metadata") or {}
        return {"uid": meta.get("name", ""), "title": (res.get("spec") or {}).get("title", ""),
                "parentUid": (meta.get("annotations") or {}).get(PARENT_ANNOTATION, "")}

    def get(self, uid: str) -> dict | None:
        status, res = self.client.call("GET", f"{self.base}/{quote(uid)}", f"folder {uid}", allow=(404,))
        return None if status == 404 or not isinstance(res, dict) else self._plain(res)

    def children(self, parent: str) -> list[dict]:
        out, token = [], ""
        while True:
            params = {"limit": 1000, **({"continue": token} if token else {})}
            _, page = self.client.call("GET", self.base, f"folders in {parent or 'the top level'}", params=params)
            page = page if isinstance(page, dict) else {}
            out += [f for f in map(self._plain, page.get("items") or []) if f["parentUid"] == parent]
            token = (page.get("metadata") or {}).get("continue") or ""
            if not token:
                return out

    def create(self, uid: str, title: str, parent: str) -> None:
        meta = {"name": uid, "annotations": {PARENT_ANNOTATION: parent} if parent else {}}
        body = {"apiVersion": f"{GROUP}/{self.version}", "kind": "Folder", "metadata": meta, "spec": {"title": title}}
        self.client.call("POST", self.base, f"create folder {uid}", body=body)


def folder_api(client: GrafanaClient):
    served = client.api_groups().get(GROUP, [])
    version = next((v for v in V1_VERSIONS if v in served), None)
    return ResourceFolders(client, version) if version else LegacyFolders(client)


def parent_uid(path: list[str], depth: int) -> str:
    """The uid vvdash gives the parent folder path[:depth] when it creates it (stable across runs)."""
    digest = hashlib.sha256("/".join(path[:depth]).encode()).hexdigest()[:16]
    return f"{UID_PREFIX}{digest}"


@dataclass
class Folders:
    client: GrafanaClient
    path: list[str]
    leaf_uid: str
    dry_run: bool
    report: Reporter

    def ensure(self) -> None:
        """Every level exists (or would be created, in a dry run); VVError (exit 2) when one cannot be made."""
        try:
            self.api = folder_api(self.client)
            parent = ""
            for depth, title in enumerate(self.path[:-1], start=1):
                level = self._level(title, parent, depth)
                if level is None:        # dry run: the rest would be created too
                    for title in self.path[depth:]:
                        self.report.line(f"would create folder {title!r}")
                    return
                parent = level
            self._leaf(parent)
        except GrafanaError as exc:
            raise VVError(str(exc)) from None

    def _level(self, title: str, parent: str, depth: int) -> str | None:
        for child in self.api.children(parent):
            if child.get("title") == title:
                return child["uid"]
        uid = parent_uid(self.path, depth)
        if self.dry_run:
            self.report.line(f"would create folder {uid} {title!r}" + (f" in {parent}" if parent else ""))
            return None
        self._create(uid, title, parent)
        return uid

    def _leaf(self, parent: str) -> None:
        title = self.path[-1]
        folder = self.api.get(self.leaf_uid)
        if folder is not None:
            if folder.get("title") != title:
                self.report.note(f"note: folder {self.leaf_uid} is titled {folder.get('title')!r} in Grafana, "
                                 f"{title!r} in the inventory; left as it is")
            if folder.get("parentUid", "") != parent:
                self.report.note(f"note: folder {self.leaf_uid} is inside {folder.get('parentUid') or 'the top level'}"
                                 f" in Grafana, not {parent or 'the top level'} as grafana.folder says; left there")
            return
        if self.dry_run:
            self.report.line(f"would create folder {self.leaf_uid} {title!r}")
            return
        self._create(self.leaf_uid, title, parent)

    def _create(self, uid: str, title: str, parent: str) -> None:
        try:
            self.api.create(uid, title, parent)
        except GrafanaError as exc:
            # 409 after a retry: the first POST went through and only its answer was lost. Any other 409
            # (the title taken by a folder with another uid) leaves no folder with our uid: report that.
            if exc.status != 409 or self.api.get(uid) is None:
                raise
            self.report.note(f"note: folder {uid} already existed when created (409); using it")
            return
        self.report.line(f"created folder {uid} {title!r}" + (f" in {parent}" if parent else ""))
