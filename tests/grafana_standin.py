"""A Grafana stand-in for the tests: a local HTTP server that answers the part of Grafana's HTTP API that
`vvdash upload` and `vvdash diff` use. Grafana cannot run on these machines (and its code is not used);
this server follows its documented behaviour and what its source shows, with Grafana's status codes and
bodies, so the client is tested against the real protocol. It is no Grafana: only these endpoints exist.

Sources followed: Grafana's HTTP API reference (dashboard, folder, search, data source, dashboard versions),
its "Kubernetes-style API" documentation (/apis/dashboard.grafana.app/<version>/namespaces/<ns>/dashboards),
and its source: pkg/api/dashboard.go (406 "dashboard api version not supported, use /apis/... instead"
for a dashboard stored in the v2 format), pkg/registry/apis/dashboard and apps/dashboard (the Dashboard
resource: metadata.name = uid, resourceVersion, generation, the grafana.app/folder annotation, spec = the
dashboard JSON, status.conversion when a stored version cannot be converted), plus the Kubernetes API
conventions the resource API follows (409 Conflict for a stale resourceVersion, 409 AlreadyExists).

Which Grafana it is: `dashboard_apis` lists the dashboard.grafana.app versions GET /apis announces
(GRAFANA_12, GRAFANA_13; LEGACY_ONLY for 10.4/11, whose /apis has no dashboard group). Namespaces:
`default` for org 1, `org-<id>` for other orgs, `stacks-<id>` on a cloud stack (`stack_id`), announced as
`namespace` in GET /api/frontend/settings as Grafana does for its own frontend.

Legacy API (every version):
  GET    /api/health                          no auth; {"commit","database":"ok","version"}
  GET    /api/frontend/settings, /api/org     the namespace and the caller's org
  GET    /api/folders[?parentUid=], /api/folders/:uid   parentUid and parents (nested folders, 11+)
  POST   /api/folders                         {uid,title,parentUid}; 409 when the uid, or the title among the
                                              parent's children, is taken; 404 for an unknown parent
  GET    /api/dashboards/uid/:uid             {"dashboard","meta"}; 404; 406 for a v2-stored dashboard
  POST   /api/dashboards/db                   version counters; 412 version-mismatch / name-exists (same
                                              title slug in the folder, as Grafana's `slug = ?` check), both
                                              overridden by "overwrite": true; 400 bad data, empty title,
                                              bad uid, unknown folder, provisioned dashboard
  DELETE /api/dashboards/uid/:uid             {"title","message","id"}
  GET    /api/dashboards/uid/:uid/versions[/:version]   the saved versions (11.6+ form: {"versions": [...]})
  GET    /api/search?tag=&type=&query=&folderUIDs=&limit=&page=   folderUIDs: dashboards directly in them
  GET    /api/datasources/uid/:uid, POST /api/datasources
Resource API (when `dashboard_apis` has it):
  GET    /apis                                APIGroupList with dashboard.grafana.app and its versions
  GET    /apis/dashboard.grafana.app/<v>/namespaces/<ns>/dashboards[?limit=&continue=]   DashboardList
  POST   .../dashboards                       create; 409 AlreadyExists
  GET    .../dashboards/:name                 404 NotFound Status; a v2-stored one read through v0/v1 has
                                              an empty spec and status.conversion.failed (as Grafana 12)
  PUT    .../dashboards/:name                 metadata.resourceVersion must be the current one (409
                                              Conflict); without it the write is unconditional
  DELETE .../dashboards/:name                 Status Success
  GET    /apis/folder.grafana.app/<v>/namespaces/<ns>/folders[/:name], POST .../folders   the parent in the
                                              grafana.app/folder annotation; the /api/folders checks as Status
  Another namespace than the caller's org answers 403; a version not announced answers 404.
Auth: `Authorization: Bearer <token>` (service-account tokens) or basic auth; roles Viewer, Editor and
Admin grant Grafana's default RBAC actions; a missing or wrong credential gives 401, a missing action 403.

Knobs for failure tests: `fail()` (any status, e.g. 5xx from a proxy; `lose_answer=True`: the work is done
and the proxy answers the status instead, as when Grafana's answer is lost), `delay()` (slow answers),
`deny()` (401/403 on one endpoint), `concurrent_edit()` (someone else saves between our read and write),
`edit_in_ui()` (a person saves a change in the dashboard editor), `seed_v2_dashboard()` (a dashboard saved
in the v2 format), `refuse()` (stop listening), `latency` (every answer waits, for benchmarks).
`requests` and `writes` record what the server received (never credentials).

Run by hand: python -m tests.grafana_standin [--port N] [--latency SECONDS] [--token-file FILE] [--apis 12]
"""

from __future__ import annotations

import base64
import contextlib
import json
import re
import secrets
import ssl
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from vvdash.model.dashboards import GRAFANA_VERSION

GROUP = "dashboard.grafana.app"
FOLDER_GROUP = "folder.grafana.app"
# The dashboard.grafana.app versions each Grafana announces in GET /apis.
LEGACY_ONLY: tuple[str, ...] = ()
GRAFANA_12 = ("v0alpha1", "v1beta1", "v2alpha1", "v2beta1")
GRAFANA_13 = ("v0alpha1", "v1beta1", "v1", "v2beta1", "v2")
V2_STORED = "v2beta1"
# Top-level keys of the dashboard model Grafana's editor saves (@grafana/schema Dashboard); a save from the
# editor serializes its own model, so any other key is gone afterwards.
EDITOR_KEYS = frozenset({
    "annotations", "description", "editable", "fiscalYearStartMonth", "gnetId", "graphTooltip", "id", "links",
    "liveNow", "panels", "preload", "refresh", "revision", "schemaVersion", "snapshot", "tags", "templating",
    "time", "timepicker", "timezone", "title", "uid", "version", "weekStart",
})
UID_PATTERN = re.compile(r"^[a-zA-Z0-9\-_]*$")
MAX_UID_LENGTH = 40

# Grafana's default role grants for the actions these endpoints check (datasources are admin-only).
_VIEWER = {"dashboards:read", "folders:read"}
_EDITOR = _VIEWER | {"dashboards:create", "dashboards:write", "dashboards:delete", "folders:create",
                     "folders:write"}
_ADMIN = _EDITOR | {"datasources:read", "datasources:create", "datasources:write"}
ROLE_ACTIONS = {"Viewer": _VIEWER, "Editor": _EDITOR, "Admin": _ADMIN}

WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


def slugify(title: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")


def _title_slug(title: str) -> str:
    # Titles with no ASCII letter or digit slug to nothing: compare those whole, not all as one empty slug.
    return slugify(title) or title


def _as_go_json(value):
    """What Grafana (Go, numbers as float64) writes back: 25.0 becomes 25, 1e-09 stays 1e-09."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e21:
        return int(value)
    if isinstance(value, dict):
        return {k: _as_go_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_as_go_json(v) for v in value]
    return value


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


@dataclass
class _Rule:
    method: str | None
    prefix: str
    times: int | None          # None: every matching request
    status: int = 0
    seconds: float = 0.0
    retry_after: str | None = None
    lose_answer: bool = False

    def matches(self, method: str, path: str) -> bool:
        return (self.method in (None, method)) and path.startswith(self.prefix) and self.times != 0

    def consume(self) -> None:
        if self.times is not None:
            self.times -= 1


@dataclass
class Recorded:
    method: str
    path: str
    status: int
    summary: dict = field(default_factory=dict)


class _Reply(Exception):
    """Ends request handling with a status and a JSON (or raw) body."""

    def __init__(self, status: int, body, content_type: str = "application/json", headers: dict | None = None):
        super().__init__(status)
        self.status = status
        self.body = body
        self.content_type = content_type
        self.headers = headers or {}


@contextlib.contextmanager
def _as_value_error():
    try:
        yield
    except _Reply as reply:
        raise ValueError(f"stand-in refused: HTTP {reply.status} {reply.body!r}") from None


def _not_found_dashboard():
    return _Reply(404, {"message": "Dashboard not found", "status": "not-found"})


class GrafanaStandin:
    """In-process stand-in server on 127.0.0.1; use as a context manager or start()/stop()."""

    def __init__(self, *, tokens: dict[str, str] | None = None, users: dict[str, tuple[str, str]] | None = None,
                 certfile: str | None = None, keyfile: str | None = None, port: int = 0,
                 dashboard_apis: tuple[str, ...] = GRAFANA_12, org_id: int = 1, stack_id: int | None = None,
                 version: str | None = None, folder_apis: tuple[str, ...] | None = None):
        self.tokens = dict(tokens if tokens is not None else {"standin-editor-token": "Editor"})
        self.users = dict(users or {})           # login -> (password, role)
        self.certfile, self.keyfile = certfile, keyfile
        self.port = port
        self.dashboard_apis = tuple(dashboard_apis)
        # folder.grafana.app: served beside the dashboard resource API (v1beta1 on 12, v1 too on 13)
        self.folder_apis = tuple(folder_apis if folder_apis is not None else
                                 (("v1beta1", "v1") if "v1" in dashboard_apis else ("v1beta1",) if dashboard_apis else ()))
        self.org_id = org_id
        self.namespace = f"stacks-{stack_id}" if stack_id else ("default" if org_id == 1 else f"org-{org_id}")
        self.version = version or (GRAFANA_VERSION if dashboard_apis else "11.6.0")
        self.latency = 0.0
        self._rv = 0
        self.lock = threading.RLock()
        self.folders: dict[str, dict] = {}
        self.dashboards: dict[str, dict] = {}    # uid -> {"id","folder_uid","data","version","message",...}
        self.datasources: dict[str, dict] = {}
        self.requests: list[Recorded] = []
        self._next_id = 1
        self._fail: list[_Rule] = []
        self._delay: list[_Rule] = []
        self._deny: list[_Rule] = []
        self._edits: set[str] = set()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle --------------------------------------------------------------------------------
    def start(self) -> GrafanaStandin:
        standin = self

        class Handler(_Handler):
            server_state = standin

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._server.daemon_threads = True
        if self.certfile:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(self.certfile, self.keyfile)
            self._server.socket = ctx.wrap_socket(self._server.socket, server_side=True)
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), name="grafana-standin",
                                        daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread:
            self._thread.join(5)
            self._thread = None

    refuse = stop  # after this, connections to the port are refused

    def __enter__(self) -> GrafanaStandin:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def url(self) -> str:
        scheme = "https" if self.certfile else "http"
        return f"{scheme}://127.0.0.1:{self.port}"

    # -- knobs ------------------------------------------------------------------------------------
    def fail(self, status: int, method: str | None = None, prefix: str = "/api/", times: int | None = 1,
             retry_after: str | None = None, lose_answer: bool = False) -> None:
        """Answer matching requests with `status` (5xx bodies like a proxy's) `times` times (None: always).
        lose_answer: do the work first, then answer `status` (a proxy that lost Grafana's answer)."""
        with self.lock:
            self._fail.append(_Rule(method, prefix, times, status=status, retry_after=retry_after,
                                    lose_answer=lose_answer))

    def delay(self, seconds: float, method: str | None = None, prefix: str = "/api/",
              times: int | None = 1) -> None:
        """Answer matching requests `seconds` late, after doing the work."""
        with self.lock:
            self._delay.append(_Rule(method, prefix, times, seconds=seconds))

    def deny(self, method: str | None, prefix: str, status: int = 403) -> None:
        """401 or 403 for one endpoint, whatever the credential's role."""
        with self.lock:
            self._deny.append(_Rule(method, prefix, None, status=status))

    def concurrent_edit(self, uid: str) -> None:
        """After the next GET of dashboard `uid`, another user saves it (its version moves on)."""
        with self.lock:
            self._edits.add(uid)

    def clear_knobs(self) -> None:
        with self.lock:
            for table in (self._fail, self._delay, self._deny, self._edits):
                table.clear()
            self.latency = 0.0

    # -- direct state access for tests (not recorded as requests) ----------------------------------
    def seed_folder(self, uid: str, title: str, parent_uid: str = "") -> dict:
        with self.lock, _as_value_error():
            return self._create_folder(uid, title, "admin", parent_uid)

    def seed_dashboard(self, model: dict, folder_uid: str = "", message: str = "", provisioned: bool = False) -> dict:
        """Save as another user would through the UI, or as Grafana's file provisioning does."""
        with self.lock, _as_value_error():
            answer = self._save(dict(model), folder_uid, message, overwrite=True, user="admin")
            self.dashboards[answer["uid"]]["provisioned"] = provisioned
            return answer

    def seed_v2_dashboard(self, uid: str, title: str, folder_uid: str = "", tags=()) -> None:
        """A dashboard saved in Grafana's v2 format (the new editor's schema: elements and a layout)."""
        with self.lock, _as_value_error():
            record = self._write(None, uid, {"uid": uid, "title": title, "tags": list(tags)}, folder_uid,
                                 "saved as v2", "admin")
            record["stored_version"] = V2_STORED
            record["v2spec"] = {"title": title, "tags": list(tags), "elements": {},
                                "layout": {"kind": "GridLayout", "spec": {"items": []}}}

    def edit_in_ui(self, uid: str, keep_unknown_keys: bool = False, **changes) -> None:
        """Someone saves the dashboard from Grafana's editor with `changes`. The editor writes its own model:
        keys it does not know are dropped (unless keep_unknown_keys, as a save through the API keeps them)."""
        with self.lock, _as_value_error():
            record = self.dashboards[uid]
            data = {k: v for k, v in record["data"].items() if keep_unknown_keys or k in EDITOR_KEYS}
            self._write(record, uid, {**data, **changes}, record["folder_uid"], "edited in the UI", "someone-else")
    @property
    def writes(self) -> list[Recorded]:
        with self.lock:
            return [r for r in self.requests if r.method in WRITE_METHODS]

    def reset_log(self) -> None:
        with self.lock:
            self.requests.clear()

    # -- model ------------------------------------------------------------------------------------
    def _new_id(self) -> int:
        value = self._next_id
        self._next_id += 1
        return value

    def _create_folder(self, uid: str, title: str, user: str, parent_uid: str = "") -> dict:
        uid = uid or secrets.token_hex(7)
        if parent_uid and parent_uid not in self.folders:
            raise _Reply(404, {"message": "folder not found", "status": "not-found"})
        if not title.strip():
            raise _Reply(400, {"message": "folder title cannot be empty"})
        if not UID_PATTERN.match(uid):
            raise _Reply(400, {"message": "uid contains illegal characters"})
        if len(uid) > MAX_UID_LENGTH:
            raise _Reply(400, {"message": "uid too long, max 40 characters"})
        if uid in self.folders or uid in self.dashboards:
            raise _Reply(409, {"message": "a folder or dashboard with the same uid already exists"})
        if any(f["title"] == title and f["parentUid"] == parent_uid for f in self.folders.values()):
            # Nested folders: a title is unique among the children of one parent.
            raise _Reply(409, {"message": "a folder with the same name already exists"})
        now = _now()
        folder = {"id": self._new_id(), "uid": uid, "title": title, "url": f"/dashboards/f/{uid}/{slugify(title)}",
                  "hasAcl": False, "canSave": True, "canEdit": True, "canAdmin": True, "canDelete": True,
                  "createdBy": user, "created": now, "updatedBy": user, "updated": now, "version": 1,
                  "parentUid": parent_uid}
        self.folders[uid] = folder
        return folder

    def _save(self, dash: dict, folder_uid: str, message: str, overwrite: bool, user: str,
              check=lambda action: None) -> dict:
        """Grafana's SaveDashboard: validation, id/uid lookup, version check, title-in-folder check."""
        title = dash.get("title")
        if not isinstance(title, str) or not title.strip():
            raise _Reply(400, {"message": "Dashboard title cannot be empty"})
        uid = dash.get("uid") or ""
        if not isinstance(uid, str) or not UID_PATTERN.match(uid):
            raise _Reply(400, {"message": "uid contains illegal characters"})
        if len(uid) > MAX_UID_LENGTH:
            raise _Reply(400, {"message": "uid too long, max 40 characters"})
        if folder_uid and folder_uid not in self.folders:
            raise _Reply(400, {"message": "folder not found"})
        dash_id = dash.get("id") or 0
        version = dash.get("version") or 0
        existing = None
        if dash_id:
            existing = next((d for d in self.dashboards.values() if d["id"] == dash_id), None)
            if existing is None:
                raise _not_found_dashboard()
            if uid and uid != existing["uid"] and uid in self.dashboards:
                raise _Reply(400, {"message": "Dashboard with the same uid already exists"})
            uid = uid or existing["uid"]
        elif uid in self.dashboards:
            existing = self.dashboards[uid]
        check("dashboards:write" if existing else "dashboards:create")
        if existing is not None and existing.get("provisioned"):
            raise _Reply(400, {"message": "Cannot save provisioned dashboard"})
        if existing is not None and version != existing["version"]:
            if not overwrite:
                raise _Reply(412, {"message": "The dashboard has been changed by someone else",
                                   "status": "version-mismatch"})
            version = existing["version"]
        # Grafana's dashboard store matches the title's slug in the folder (`slug = ?`), not the exact title.
        same_title = next((d for d in self.dashboards.values()
                           if d["folder_uid"] == folder_uid and _title_slug(d["data"]["title"]) == _title_slug(title)
                           and d is not existing), None)
        if same_title is not None:
            if not overwrite:
                raise _Reply(412, {"message": "A dashboard with the same name in the folder already exists",
                                   "status": "name-exists"})
            # Grafana replaces the dashboard of that name, taking over its id and uid.
            existing, uid = same_title, same_title["uid"]
        if not uid:
            uid = secrets.token_hex(7)
        record = self._write(existing, uid, dash, folder_uid, message, user)
        slug = slugify(title)
        return {"id": record["id"], "uid": uid, "url": f"/d/{uid}/{slug}", "status": "success",
                "version": record["version"], "slug": slug, "folderUid": folder_uid}

    def _write(self, existing: dict | None, uid: str, dash: dict, folder_uid: str, message: str, user: str,
               annotations: dict | None = None) -> dict:
        """Store a new version (both APIs end here): version and resourceVersion move on; stored as v1 JSON."""
        now = _now()
        self._rv += 1
        if existing is None:
            record = {"id": self._new_id(), "version": 1, "created": now, "createdBy": user,
                      "k8s_uid": secrets.token_hex(16)}
        else:
            if existing["uid"] != uid:
                self.dashboards.pop(existing["uid"], None)
            record = {"id": existing["id"], "version": existing["version"] + 1, "created": existing["created"],
                      "createdBy": existing["createdBy"], "k8s_uid": existing["k8s_uid"],
                      "provisioned": existing.get("provisioned", False)}
        data = _as_go_json({**dash, "id": record["id"], "uid": uid, "version": record["version"]})
        # Every save is a version in the dashboard's history (dashboard_version table).
        history = (existing or {}).get("history", []) + [{
            "version": record["version"], "created": now, "createdBy": user, "message": message,
            "data": json.loads(json.dumps(data))}]
        record.update(uid=uid, folder_uid=folder_uid, data=data, message=message, updated=now, updatedBy=user,
                      resource_version=str(self._rv), stored_version="v1", annotations=dict(annotations or {}),
                      history=history)
        self.dashboards[uid] = record
        return record

    def _resource(self, record: dict, version: str) -> dict:
        """The Dashboard resource as dashboard.grafana.app/<version> shows it."""
        meta = {"name": record["uid"], "namespace": self.namespace, "uid": record["k8s_uid"],
                "resourceVersion": record["resource_version"], "generation": record["version"],
                "creationTimestamp": record["created"],
                "annotations": {**record.get("annotations", {}), "grafana.app/createdBy": record["createdBy"],
                                "grafana.app/updatedBy": record["updatedBy"],
                                "grafana.app/updatedTimestamp": record["updated"]},
                "labels": {"grafana.app/deprecatedInternalID": str(record["id"])}}
        if record["folder_uid"]:
            meta["annotations"]["grafana.app/folder"] = record["folder_uid"]
        status: dict = {}
        if record["stored_version"].startswith("v2") and version.startswith("v2"):
            spec = json.loads(json.dumps(record["v2spec"]))
        elif record["stored_version"].startswith("v2"):
            spec = {}
            status = {"conversion": {"failed": True, "storedVersion": record["stored_version"],
                                     "error": f"converting {record['stored_version']} to {version} is not supported"}}
        elif version.startswith("v2"):
            spec, status = {}, {"conversion": {"failed": True, "storedVersion": "v1beta1",
                                               "error": "converting to v2 is not supported by this stand-in"}}
        else:
            spec = {k: v for k, v in json.loads(json.dumps(record["data"])).items() if k not in ("id", "version")}
        return {"kind": "Dashboard", "apiVersion": f"{GROUP}/{version}", "metadata": meta, "spec": spec,
                "status": status}

    def _meta(self, record: dict) -> dict:
        folder = self.folders.get(record["folder_uid"])
        slug = slugify(record["data"]["title"])
        return {"type": "db", "canSave": True, "canEdit": True, "canAdmin": True, "canStar": True,
                "canDelete": True, "slug": slug, "url": f"/d/{record['uid']}/{slug}", "expires": "0001-01-01T00:00:00Z",
                "created": record["created"], "updated": record["updated"], "updatedBy": record["updatedBy"],
                "createdBy": record["createdBy"], "version": record["version"], "hasAcl": False,
                "isFolder": False, "folderId": folder["id"] if folder else 0,
                "folderUid": record["folder_uid"], "folderTitle": folder["title"] if folder else "General",
                "folderUrl": folder["url"] if folder else "", "provisioned": bool(record.get("provisioned")),
                "provisionedExternalId": f"{record['uid']}.json" if record.get("provisioned") else ""}

    def _search_hit(self, record: dict) -> dict:
        folder = self.folders.get(record["folder_uid"])
        data = record["data"]
        slug = slugify(data["title"])
        hit = {"id": record["id"], "uid": record["uid"], "orgId": 1, "title": data["title"], "uri": f"db/{slug}",
               "url": f"/d/{record['uid']}/{slug}", "slug": "", "type": "dash-db", "tags": list(data.get("tags") or []),
               "isStarred": False, "sortMeta": 0}
        if folder:
            hit.update(folderId=folder["id"], folderUid=folder["uid"], folderTitle=folder["title"],
                       folderUrl=folder["url"])
        return hit


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body are separate writes: do not wait for an ACK between
    server_state: GrafanaStandin

    def log_message(self, *args) -> None:  # quiet: tests read `requests` instead
        pass

    def do_GET(self): self._handle("GET")
    def do_POST(self): self._handle("POST")
    def do_PUT(self): self._handle("PUT")
    def do_DELETE(self): self._handle("DELETE")
    def do_PATCH(self): self._handle("PATCH")

    # -- plumbing ---------------------------------------------------------------------------------
    def _handle(self, method: str) -> None:
        st = self.server_state
        parts = urlsplit(self.path)
        path, query = parts.path, parse_qs(parts.query)
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        summary: dict = {}
        headers: dict = {}
        delay = self._delay_for(method, path)
        fail = self._failure_for(method, path)
        try:
            if fail and not fail.lose_answer:
                raise self._failure_reply(fail)
            body = self._route(method, path, query, raw, summary)
            status, payload, ctype = 200, body, "application/json"
        except _Reply as reply:
            status, payload, ctype, headers = reply.status, reply.body, reply.content_type, reply.headers
        if fail and fail.lose_answer:  # the work above is done; the proxy in front answers the failure
            summary["grafana_status"] = status
            reply = self._failure_reply(fail)
            status, payload, ctype, headers = reply.status, reply.body, reply.content_type, reply.headers
        with st.lock:
            st.requests.append(Recorded(method, path, status, summary))
        # A slow answer: the work above is done, the reply is late (a client timeout may lose it).
        if delay or st.latency:
            time.sleep(delay + st.latency)
        data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(data)))
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (timeout): as with a real server, the work may be done anyway

    def _delay_for(self, method: str, path: str) -> float:
        st = self.server_state
        with st.lock:
            rule = next((r for r in st._delay if r.matches(method, path)), None)
            if rule:
                rule.consume()
        return rule.seconds if rule else 0.0

    def _failure_for(self, method: str, path: str) -> _Rule | None:
        st = self.server_state
        with st.lock:
            fail = next((r for r in st._fail if r.matches(method, path)), None)
            if fail:
                fail.consume()
        return fail

    @staticmethod
    def _failure_reply(fail: _Rule) -> _Reply:
        if fail.status in (502, 503, 504):  # these come from the proxy in front of Grafana: HTML
            reason = {502: "Bad Gateway", 503: "Service Unavailable", 504: "Gateway Timeout"}[fail.status]
            return _Reply(fail.status, f"<html><body><h1>{fail.status} {reason}</h1></body></html>\n".encode(),
                          "text/html", {"Retry-After": fail.retry_after} if fail.retry_after else None)
        message = {500: "Internal Server Error", 404: "Not found"}.get(fail.status, "error")
        return _Reply(fail.status, {"message": message})

    def _auth(self, method: str, path: str) -> set[str]:
        """The caller's actions; 401 without a valid credential."""
        st = self.server_state
        header = self.headers.get("Authorization", "")
        role = None
        if header.startswith("Bearer "):
            role = st.tokens.get(header[len("Bearer "):])
            if role is None:
                raise _Reply(401, {"extra": None, "message": "Invalid API key", "messageId": "api-key.invalid",
                                   "statusCode": 401, "traceID": ""})
        elif header.startswith("Basic "):
            try:
                login, _, password = base64.b64decode(header[6:]).decode().partition(":")
            except (ValueError, UnicodeDecodeError):
                login, password = "", ""
            user = st.users.get(login)
            if not user or user[0] != password:
                raise _Reply(401, {"message": "Invalid username or password", "messageId": "password-auth.failed",
                                   "statusCode": 401, "traceID": ""})
            role = user[1]
        else:
            raise _Reply(401, {"extra": None, "message": "Unauthorized", "messageId": "auth.unauthorized",
                               "statusCode": 401, "traceID": ""})
        with st.lock:
            denied = next((r for r in st._deny if r.matches(method, path)), None)
        if denied and denied.status == 401:
            raise _Reply(401, {"extra": None, "message": "Invalid API key", "messageId": "api-key.invalid",
                               "statusCode": 401, "traceID": ""})
        actions = set(ROLE_ACTIONS[role])
        if denied:
            actions = set()
        return actions

    @staticmethod
    def _require(actions: set[str], action: str) -> None:
        if action not in actions:
            raise _Reply(403, {"accessErrorId": f"ACE{secrets.randbelow(10**10):010d}",
                               "message": "You'll need additional permissions to perform this action. "
                                          f"Permissions needed: {action}",
                               "title": "Access denied"})

    @staticmethod
    def _json(raw: bytes):
        try:
            return json.loads(raw or b"null")
        except ValueError:
            raise _Reply(400, {"message": "bad request data"}) from None

    # -- routes -----------------------------------------------------------------------------------
    def _route(self, method: str, path: str, query: dict, raw: bytes, summary: dict):
        st = self.server_state
        if method == "GET" and path == "/api/health":
            return {"commit": "standin", "database": "ok", "version": st.version}
        if path == "/apis" or path.startswith("/apis/"):
            actions = self._auth(method, path)
            with st.lock:
                return self._apis(method, path, query, raw, summary, actions)
        if not path.startswith("/api/"):
            raise _Reply(404, b"<!doctype html><html><body>Page not found</body></html>\n", "text/html")
        actions = self._auth(method, path)
        with st.lock:
            return self._api(method, path, query, raw, summary, actions)

    def _api(self, method, path, query, raw, summary, actions):
        st = self.server_state
        if path == "/api/frontend/settings" and method == "GET":
            return {"namespace": st.namespace, "buildInfo": {"version": st.version, "edition": "Open Source"}}
        if path == "/api/org" and method == "GET":
            return {"id": st.org_id, "name": "Main Org." if st.org_id == 1 else f"Org {st.org_id}", "address": {}}
        m = re.fullmatch(r"/api/dashboards/uid/([^/]+)/versions(?:/(\d+))?", path)
        if m and method == "GET":
            self._require(actions, "dashboards:read")
            record = st.dashboards.get(m.group(1))
            if record is None:
                raise _not_found_dashboard()
            rows = [{"id": h["version"], "dashboardId": record["id"], "uid": record["uid"],
                     "parentVersion": h["version"] - 1, "restoredFrom": 0, "version": h["version"],
                     "created": h["created"], "createdBy": h["createdBy"], "message": h["message"], "data": h["data"]}
                    for h in reversed(record["history"])]
            if m.group(2):
                row = next((r for r in rows if r["version"] == int(m.group(2))), None)
                if row is None:
                    raise _Reply(404, {"message": "Dashboard version not found"})
                return row
            limit = int(query.get("limit", ["0"])[0] or 0) or len(rows)
            start = int(query.get("start", ["0"])[0] or 0)
            # Grafana 11.6+ answers an object with a continue token (10.4 answered the bare list).
            return {"continueToken": "", "versions": [{k: v for k, v in r.items() if k != "data"}
                                                      for r in rows[start:start + limit]]}
        m = re.fullmatch(r"/api/dashboards/uid/([^/]+)", path)
        if m:
            uid = m.group(1)
            summary["uid"] = uid
            if method == "GET":
                self._require(actions, "dashboards:read")
                record = st.dashboards.get(uid)
                if record is None:
                    raise _not_found_dashboard()
                if record["stored_version"].startswith("v2"):  # pkg/api/dashboard.go: v2 is not served by /api
                    url = f"/apis/{GROUP}/{record['stored_version']}/namespaces/{st.namespace}/dashboards/{uid}"
                    raise _Reply(406, {"message": f"dashboard api version not supported, use {url} instead"})
                answer = {"dashboard": json.loads(json.dumps(record["data"])), "meta": st._meta(record)}
                if uid in st._edits:  # another user saves right after our read
                    st._edits.discard(uid)
                    st._save({**record["data"], "description": "edited in the UI"}, record["folder_uid"],
                             "edited in the UI", overwrite=True, user="someone-else")
                return answer
            if method == "DELETE":
                self._require(actions, "dashboards:delete")
                record = st.dashboards.get(uid)
                if record is None:
                    raise _not_found_dashboard()
                if record.get("provisioned"):
                    raise _Reply(400, {"message": "provisioned dashboard cannot be deleted"})
                del st.dashboards[uid]
                title = record["data"]["title"]
                return {"title": title, "message": f"Dashboard {title} deleted", "id": record["id"]}
        if path == "/api/dashboards/db" and method == "POST":
            body = self._json(raw)
            if not isinstance(body, dict) or not isinstance(body.get("dashboard", {}), dict):
                raise _Reply(400, {"message": "bad request data"})
            dash = body.get("dashboard") or {}
            summary.update(uid=dash.get("uid"), title=dash.get("title"), message=body.get("message", ""),
                           overwrite=bool(body.get("overwrite")), folderUid=body.get("folderUid", ""))
            return st._save(dict(dash), body.get("folderUid") or "", body.get("message") or "",
                            bool(body.get("overwrite")), user="token",
                            check=lambda action: self._require(actions, action))
        if path == "/api/folders":
            if method == "GET":
                self._require(actions, "folders:read")
                limit = int(query.get("limit", ["1000"])[0])
                page = int(query.get("page", ["1"])[0])
                parent = query.get("parentUid", [""])[0]
                items = [{"id": f["id"], "uid": f["uid"], "title": f["title"], "parentUid": f["parentUid"]}
                         for f in st.folders.values() if f["parentUid"] == parent]
                return items[(page - 1) * limit: page * limit]
            if method == "POST":
                self._require(actions, "folders:create")
                body = self._json(raw)
                if not isinstance(body, dict):
                    raise _Reply(400, {"message": "bad request data"})
                summary.update(uid=body.get("uid"), title=body.get("title"), parentUid=body.get("parentUid", ""))
                return st._create_folder(str(body.get("uid") or ""), str(body.get("title") or ""), "token",
                                         str(body.get("parentUid") or ""))
        m = re.fullmatch(r"/api/folders/([^/]+)", path)
        if m and method == "GET":
            self._require(actions, "folders:read")
            folder = st.folders.get(m.group(1))
            if folder is None:
                raise _Reply(404, {"message": "folder not found", "status": "not-found"})
            parents, up = [], folder["parentUid"]
            while up:
                parents.insert(0, {k: st.folders[up][k] for k in ("id", "uid", "title", "url")})
                up = st.folders[up]["parentUid"]
            return {**folder, "parents": parents}
        if path == "/api/search" and method == "GET":
            summary.update({k: ",".join(v) for k, v in query.items() if k in ("tag", "folderUIDs")})
            return self._search(query)
        m = re.fullmatch(r"/api/datasources/uid/([^/]+)", path)
        if m and method == "GET":
            self._require(actions, "datasources:read")
            ds = st.datasources.get(m.group(1))
            if ds is None:
                raise _Reply(404, {"message": "Data source not found"})
            return ds
        if path == "/api/datasources" and method == "POST":
            self._require(actions, "datasources:create")
            body = self._json(raw)
            if not isinstance(body, dict) or not body.get("name") or not body.get("type"):
                raise _Reply(400, {"message": "bad request data"})
            summary.update(uid=body.get("uid"), name=body.get("name"))
            if any(d["name"] == body["name"] for d in st.datasources.values()):
                raise _Reply(409, {"message": "data source with the same name already exists"})
            uid = body.get("uid") or secrets.token_hex(7)
            if uid in st.datasources:
                raise _Reply(409, {"message": "data source with the same uid already exists"})
            ds = {"id": st._new_id(), "uid": uid, "orgId": 1, "name": body["name"], "type": body["type"],
                  "typeName": body["type"].capitalize(), "access": body.get("access", "proxy"),
                  "url": body.get("url", ""), "basicAuth": False, "isDefault": bool(body.get("isDefault")),
                  "jsonData": body.get("jsonData") or {}, "readOnly": False, "version": 1}
            st.datasources[uid] = ds
            return {"datasource": ds, "id": ds["id"], "message": "Datasource added", "name": ds["name"]}
        raise _Reply(404, {"message": "Not found"})

    # -- the resource API (dashboard.grafana.app) ----------------------------------------------------
    @staticmethod
    def _status(code: int, reason: str, message: str, name: str = "") -> _Reply:
        body = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure", "message": message,
                "reason": reason, "code": code}
        if name:
            body["details"] = {"name": name, "group": GROUP, "kind": "dashboards"}
        return _Reply(code, body)

    def _apis(self, method, path, query, raw, summary, actions):
        st = self.server_state
        if path == "/apis" and method == "GET":
            groups = [{"name": "playlist.grafana.app", "versions": [
                {"groupVersion": "playlist.grafana.app/v0alpha1", "version": "v0alpha1"}],
                "preferredVersion": {"groupVersion": "playlist.grafana.app/v0alpha1", "version": "v0alpha1"}}]
            if st.dashboard_apis:
                versions = [{"groupVersion": f"{GROUP}/{v}", "version": v} for v in st.dashboard_apis]
                preferred = next(v for v in versions if not v["version"].startswith("v2"))
                groups.append({"name": GROUP, "versions": versions, "preferredVersion": preferred})
            if st.folder_apis:
                versions = [{"groupVersion": f"{FOLDER_GROUP}/{v}", "version": v} for v in st.folder_apis]
                groups.append({"name": FOLDER_GROUP, "versions": versions, "preferredVersion": versions[0]})
            return {"kind": "APIGroupList", "apiVersion": "v1", "groups": groups}
        m = re.fullmatch(rf"/apis/{re.escape(FOLDER_GROUP)}/([^/]+)/namespaces/([^/]+)/folders(?:/([^/]+))?", path)
        if m and m.group(1) in st.folder_apis:
            return self._folder_resource(method, m.group(1), m.group(2), m.group(3), query, raw, summary, actions)
        m = re.fullmatch(rf"/apis/{re.escape(GROUP)}/([^/]+)/namespaces/([^/]+)/dashboards(?:/([^/]+))?", path)
        if not m or m.group(1) not in st.dashboard_apis:
            raise _Reply(404, {"kind": "Status", "apiVersion": "v1", "status": "Failure", "message": "the server "
                               "could not find the requested resource", "reason": "NotFound", "code": 404})
        version, namespace, name = m.groups()
        summary.update(uid=name, api=version)
        if namespace != st.namespace:
            raise self._status(403, "Forbidden", f"dashboards.{GROUP} is forbidden: the caller's organization "
                                                 f"is not namespace \"{namespace}\"")
        if method == "GET" and not name:
            self._require(actions, "dashboards:read")
            limit = max(1, min(int(query.get("limit", ["500"])[0]), 1000))
            start = int(query.get("continue", ["0"])[0] or 0)
            names = sorted(st.dashboards)
            items = [st._resource(st.dashboards[n], version) for n in names[start:start + limit]]
            more = start + limit < len(names)
            return {"kind": "DashboardList", "apiVersion": f"{GROUP}/{version}",
                    "metadata": {"resourceVersion": str(st._rv), **({"continue": str(start + limit)} if more else {})},
                    "items": items}
        if method == "GET":
            self._require(actions, "dashboards:read")
            record = st.dashboards.get(name)
            if record is None:
                raise self._status(404, "NotFound", f"dashboards.{GROUP} \"{name}\" not found", name)
            answer = st._resource(record, version)
            if name in st._edits:  # another user saves right after our read
                st._edits.discard(name)
                st._write(record, name, {**record["data"], "description": "edited in the UI"}, record["folder_uid"],
                          "edited in the UI", "someone-else", record.get("annotations"))
            return answer
        if method == "DELETE" and name:
            self._require(actions, "dashboards:delete")
            record = st.dashboards.get(name)
            if record is None:
                raise self._status(404, "NotFound", f"dashboards.{GROUP} \"{name}\" not found", name)
            del st.dashboards[name]
            return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success",
                    "details": {"name": name, "group": GROUP, "kind": "dashboards", "uid": record["k8s_uid"]}}
        if method in ("POST", "PUT"):
            body = self._json(raw)
            if not isinstance(body, dict) or not isinstance(body.get("metadata"), dict) or \
                    not isinstance(body.get("spec"), dict):
                raise self._status(400, "BadRequest", "the body must be a Dashboard with metadata and spec")
            meta, spec = body["metadata"], dict(body["spec"])
            target = meta.get("name") or ""
            annotations = {k: v for k, v in (meta.get("annotations") or {}).items()
                           if not k.startswith("grafana.app/") or k == "grafana.app/message"}
            folder_uid = (meta.get("annotations") or {}).get("grafana.app/folder", "")
            summary.update(uid=target, folderUid=folder_uid, resourceVersion=meta.get("resourceVersion", ""),
                           message=annotations.get("grafana.app/message", ""))
            if method == "PUT" and target != name:
                raise self._status(400, "BadRequest", f"the name of the object ({target}) does not match the "
                                                      f"name on the URL ({name})")
            if not UID_PATTERN.match(target) or not target or len(target) > MAX_UID_LENGTH:
                raise self._status(400, "BadRequest", f"metadata.name: Invalid value: \"{target}\"")
            if not isinstance(spec.get("title"), str) or not spec["title"].strip():
                raise self._status(400, "BadRequest", "spec.title: Required value: dashboard title cannot be empty")
            if folder_uid and folder_uid not in st.folders:
                raise self._status(400, "BadRequest", f"folder {folder_uid} not found")
            existing = st.dashboards.get(target)
            if method == "POST":
                self._require(actions, "dashboards:create")
                if existing is not None:
                    raise self._status(409, "AlreadyExists", f"dashboards.{GROUP} \"{target}\" already exists",
                                       target)
            else:
                self._require(actions, "dashboards:write")
                if existing is None:
                    raise self._status(404, "NotFound", f"dashboards.{GROUP} \"{target}\" not found", target)
                if existing.get("provisioned"):
                    raise self._status(403, "Forbidden", "this dashboard is managed by classic file provisioning "
                                                         "and cannot be updated through the API")
                wanted = meta.get("resourceVersion") or ""
                if wanted and wanted != existing["resource_version"]:
                    raise self._status(409, "Conflict", f"Operation cannot be fulfilled on dashboards.{GROUP} "
                                       f"\"{target}\": the object has been modified; please apply your changes to "
                                       "the latest version and try again", target)
            spec.pop("id", None)
            spec.pop("version", None)
            record = st._write(existing, target, {**spec, "uid": target}, folder_uid,
                               annotations.get("grafana.app/message", ""), "token", annotations)
            return st._resource(record, version)
        raise self._status(405, "MethodNotAllowed", f"{method} is not supported here")

    def _folder_resource(self, method, version, namespace, name, query, raw, summary, actions):
        """folder.grafana.app: metadata.name = uid, the parent in the grafana.app/folder annotation."""
        st = self.server_state
        if namespace != st.namespace:
            raise self._status(403, "Forbidden", f"folders.{FOLDER_GROUP} is forbidden: the caller's organization "
                                                 f"is not namespace \"{namespace}\"")

        def resource(folder):
            notes = {"grafana.app/createdBy": folder["createdBy"], "grafana.app/updatedBy": folder["updatedBy"]}
            if folder["parentUid"]:
                notes["grafana.app/folder"] = folder["parentUid"]
            return {"kind": "Folder", "apiVersion": f"{FOLDER_GROUP}/{version}",
                    "metadata": {"name": folder["uid"], "namespace": st.namespace, "annotations": notes,
                                 "resourceVersion": str(folder["version"]), "generation": folder["version"]},
                    "spec": {"title": folder["title"]}}

        if method == "GET" and not name:
            self._require(actions, "folders:read")
            limit = max(1, min(int(query.get("limit", ["500"])[0]), 1000))
            start = int(query.get("continue", ["0"])[0] or 0)
            names = sorted(st.folders)
            more = start + limit < len(names)
            return {"kind": "FolderList", "apiVersion": f"{FOLDER_GROUP}/{version}",
                    "metadata": {"continue": str(start + limit)} if more else {},
                    "items": [resource(st.folders[n]) for n in names[start:start + limit]]}
        if method == "GET":
            self._require(actions, "folders:read")
            if name not in st.folders:
                raise self._status(404, "NotFound", f"folders.{FOLDER_GROUP} \"{name}\" not found", name)
            return resource(st.folders[name])
        if method == "POST" and not name:
            self._require(actions, "folders:create")
            body = self._json(raw)
            meta = (body or {}).get("metadata") if isinstance(body, dict) else None
            if not isinstance(meta, dict) or not isinstance(body.get("spec"), dict):
                raise self._status(400, "BadRequest", "the body must be a Folder with metadata and spec")
            uid, parent = meta.get("name") or "", (meta.get("annotations") or {}).get("grafana.app/folder", "")
            summary.update(uid=uid, title=body["spec"].get("title"), parentUid=parent)
            if uid in st.folders:
                raise self._status(409, "AlreadyExists", f"folders.{FOLDER_GROUP} \"{uid}\" already exists", uid)
            try:
                folder = st._create_folder(uid, str(body["spec"].get("title") or ""), "token", parent)
            except _Reply as reply:   # the same checks as /api/folders, answered as a Status
                reason = {400: "BadRequest", 404: "NotFound", 409: "Conflict"}.get(reply.status, "BadRequest")
                raise self._status(reply.status, reason, reply.body.get("message", "")) from None
            return resource(folder)
        raise self._status(405, "MethodNotAllowed", f"{method} is not supported here")

    def _search(self, query: dict) -> list[dict]:
        st = self.server_state
        tags = query.get("tag", [])
        kind = query.get("type", [""])[0]
        text = query.get("query", [""])[0].lower()
        folder_uids = set(",".join(query.get("folderUIDs", [])).split(",")) - {""}
        limit = min(int(query.get("limit", ["1000"])[0]), 5000)
        page = max(int(query.get("page", ["1"])[0]), 1)
        hits = []
        if kind in ("", "dash-folder") and not tags:
            hits += [{"id": f["id"], "uid": f["uid"], "orgId": 1, "title": f["title"],
                      "uri": f"db/{slugify(f['title'])}",
                      "url": f["url"], "slug": "", "type": "dash-folder", "tags": [], "isStarred": False,
                      "sortMeta": 0} for f in st.folders.values() if text in f["title"].lower()]
        if kind in ("", "dash-db"):
            for record in st.dashboards.values():
                data_tags = record["data"].get("tags") or []
                if all(t in data_tags for t in tags) and text in record["data"]["title"].lower() and (
                        not folder_uids or record["folder_uid"] in folder_uids):
                    hits.append(st._search_hit(record))
        hits.sort(key=lambda h: (h["type"] != "dash-folder", h["title"].lower()))
        return hits[(page - 1) * limit: page * limit]


def main(argv: list[str] | None = None) -> int:
    import argparse
    import os
    import tempfile

    parser = argparse.ArgumentParser(description="Run the Grafana stand-in on 127.0.0.1 until Ctrl-C.")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--latency", type=float, default=0.0, help="seconds added to every answer")
    parser.add_argument("--apis", choices=("11", "12", "13"), default="12",
                        help="which Grafana's APIs to offer (11: legacy only)")
    parser.add_argument("--token-file", help="file holding the Editor service-account token to accept "
                                             "(default: a new token written to a private temporary file)")
    args = parser.parse_args(argv)
    if args.token_file:
        token_file = args.token_file
        token = open(token_file).read().strip()
    else:
        token = secrets.token_hex(16)
        fd, token_file = tempfile.mkstemp(prefix="grafana-standin-token-")
        with os.fdopen(fd, "w") as f:  # mkstemp makes it readable by this user only
            f.write(token + "\n")
    apis = {"11": LEGACY_ONLY, "12": GRAFANA_12, "13": GRAFANA_13}[args.apis]
    with GrafanaStandin(tokens={token: "Editor"}, port=args.port, dashboard_apis=apis) as standin:
        standin.latency = args.latency
        print(f"Grafana stand-in on {standin.url}; token in {token_file}", flush=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
