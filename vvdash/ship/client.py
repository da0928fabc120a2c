"""Grafana HTTP API client: one method per endpoint vvdash uses, bounded retries, errors naming the call.

Retried (at most `retries` times, waits doubling from `backoff`, Retry-After honoured up to MAX_WAIT):
refused or reset connections, timeouts, 429 and 5xx. Everything else is answered at once. A retried
POST may have been applied before its answer was lost; sync.py handles the 412 that follows.
"""

from __future__ import annotations

import random
import threading
import time
from datetime import datetime, UTC
from email.utils import parsedate_to_datetime
from urllib.parse import quote

import requests
from requests.adapters import HTTPAdapter

from vvdash import __version__
from vvdash.ship.connection import Connection

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
MAX_WAIT = 10.0
SEARCH_PAGE_SIZE = 1000   # Grafana's default search limit


class GrafanaError(Exception):
    """A call that failed; `str()` is one line that names the call and what it was for."""

    def __init__(self, call: str, what: str, status: int | None, message: str, status_text: str = "",
                 attempts: int = 1, source: str = ""):
        self.call, self.what, self.status, self.message = call, what, status, message
        self.status_text, self.attempts, self.source = status_text, attempts, source
        super().__init__(self.explain())

    def explain(self) -> str:
        head = f"{self.what}: {self.call}" if self.what else self.call
        tried = f" after {self.attempts} attempts" if self.attempts > 1 else ""
        if self.status is None:
            return f"{head}: {self.message}{tried}"
        if self.status == 401:
            return (f"{head}: Grafana rejected the credential from {self.source} (401: {self.message}); "
                    "check the token or password")
        if self.status == 403:
            return (f"{head}: the credential from {self.source} lacks the permission this call needs "
                    f"(403: {self.message})")
        if self.status == 412 and self.status_text == "version-mismatch":
            return (f"{head}: Grafana's copy was changed by someone else after vvdash read it (412 "
                    "version-mismatch); see `vvdash diff`, then `vvdash upload --force` to overwrite it")
        if self.status == 409 and self.status_text == "Conflict":
            return (f"{head}: Grafana's copy was changed by someone else after vvdash read it (409 Conflict: "
                    "stale resourceVersion); see `vvdash diff`, then `vvdash upload --force` to overwrite it")
        if self.status == 412 and self.status_text == "name-exists":
            return (f"{head}: another dashboard in the folder already has this title (412 name-exists); "
                    "rename or delete that one in Grafana")
        if self.status == 400 and "provisioned" in self.message:
            return (f"{head}: Grafana refused it (400): {self.message}; Grafana loads this dashboard from "
                    "provisioning files: change it there, or drop it from provisioning to manage it by upload")
        if self.status == 400:
            return f"{head}: Grafana refused it (400): {self.message}"
        if self.status == 404:
            return f"{head}: not found (404: {self.message})"
        return f"{head}: HTTP {self.status}: {self.message}{tried}"


class GrafanaClient:
    def __init__(self, conn: Connection, notify=lambda line: None, pool_size: int = 4):
        self.conn = conn
        self.notify = notify
        self.session = requests.Session()
        self.session.headers.update({"Accept": "application/json", "User-Agent": f"vvdash/{__version__}"})
        self.session.verify = conn.verify
        # Not trust_env: a ~/.netrc entry would replace the Authorization header. Proxies still apply.
        self.session.trust_env = False
        self.session.proxies = requests.utils.get_environ_proxies(conn.url)
        adapter = HTTPAdapter(pool_connections=1, pool_maxsize=max(pool_size, 1))
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)
        conn.credential.apply(self.session)
        self._random = random.Random()
        self._lock = threading.Lock()
        self._asked: dict = {}          # answers that do not change during a run: discovery, namespace

    def close(self) -> None:
        self.session.close()

    # -- transport ------------------------------------------------------------------------------
    def call(self, method: str, path: str, what: str = "", *, params=None, body=None, allow=()):
        """(status, JSON payload or None) for 2xx and statuses in `allow`; GrafanaError otherwise."""
        name = f"{method} {path}"
        attempts = self.conn.retries + 1
        for attempt in range(1, attempts + 1):
            retry_after = None
            try:
                resp = self.session.request(method, self.conn.url + path, params=params, json=body,
                                            timeout=self.conn.timeout)
            except requests.exceptions.SSLError as exc:
                raise GrafanaError(name, what, None, f"TLS verification of {self.conn.url} failed "
                                   f"({_ssl_reason(exc)}); pass --ca-bundle with the CA that signed "
                                   "Grafana's certificate") from None
            except requests.exceptions.Timeout:
                problem = f"no answer within {self.conn.timeout:g} s"
            except requests.exceptions.ConnectionError as exc:
                problem = f"cannot connect to {self.conn.url} ({_connection_reason(exc)})"
            else:
                payload = _payload(resp)
                if resp.status_code < 300 or resp.status_code in allow:
                    return resp.status_code, payload
                if resp.status_code not in RETRY_STATUSES:
                    raise self._error(name, what, resp, payload, attempt)
                problem = f"HTTP {resp.status_code} {resp.reason}"
                retry_after = _retry_after(resp)
                if attempt == attempts:
                    raise self._error(name, what, resp, payload, attempt)
            if attempt == attempts:
                raise GrafanaError(name, what, None, problem, attempts=attempt)
            wait = self._wait(attempt, retry_after)
            self.notify(f"retry {attempt}/{self.conn.retries}: {name} ({problem}); waiting {wait:.2f} s")
            time.sleep(wait)
        raise AssertionError("unreachable")

    def _wait(self, attempt: int, retry_after: float | None) -> float:
        if retry_after is not None:
            return min(retry_after, MAX_WAIT)
        with self._lock:
            jitter = self._random.uniform(0.8, 1.2)
        return min(self.conn.backoff * 2 ** (attempt - 1) * jitter, MAX_WAIT)

    def _error(self, name, what, resp, payload, attempt) -> GrafanaError:
        message = (payload or {}).get("message") if isinstance(payload, dict) else None
        status_text = (payload or {}).get("status", "") if isinstance(payload, dict) else ""
        if isinstance(payload, dict) and payload.get("kind") == "Status":   # the resource API's errors
            status_text = payload.get("reason", "")
        return GrafanaError(name, what, resp.status_code, message or resp.reason or "no message",
                            status_text=status_text, attempts=attempt, source=self.conn.credential.source)

    # -- endpoints ------------------------------------------------------------------------------
    def health(self) -> dict:
        _, payload = self.call("GET", "/api/health", "health check")
        return payload if isinstance(payload, dict) else {}

    def folder(self, uid: str) -> dict | None:
        status, payload = self.call("GET", f"/api/folders/{quote(uid)}", f"folder {uid}", allow=(404,))
        return None if status == 404 else payload

    def child_folders(self, parent_uid: str) -> list[dict]:
        """The folders directly inside `parent_uid` ("" for the top level; nested folders, Grafana 11+)."""
        params = {"limit": 1000, **({"parentUid": parent_uid} if parent_uid else {})}
        return self.call("GET", "/api/folders", f"folders in {parent_uid or 'the top level'}", params=params)[1] or []

    def create_folder(self, uid: str, title: str, parent_uid: str = "") -> dict:
        body = {"uid": uid, "title": title, **({"parentUid": parent_uid} if parent_uid else {})}
        return self.call("POST", "/api/folders", f"create folder {uid}", body=body)[1]

    def _once(self, key: str, ask):
        with self._lock:
            if key in self._asked:
                return self._asked[key]
        value = ask()
        with self._lock:
            return self._asked.setdefault(key, value)

    def api_groups(self) -> dict[str, list[str]]:
        """GET /apis (Kubernetes API discovery): group -> the versions Grafana serves; {} when it has no /apis
        or will not say (404, 403: then the legacy API, which every release serves, is used). Asked once."""
        return self._once("groups", self._api_groups)

    def _api_groups(self) -> dict[str, list[str]]:
        status, payload = self.call("GET", "/apis", "API discovery", allow=(404, 403))
        if status in (404, 403) or not isinstance(payload, dict):
            return {}
        return {g.get("name", ""): [v.get("version", "") for v in g.get("versions") or []]
                for g in payload.get("groups") or [] if isinstance(g, dict)}

    def namespace(self) -> str:
        """The resource API's namespace for this credential: what Grafana tells its own frontend (`namespace`
        in /api/frontend/settings: default, org-N, stacks-N), else derived from the org as Grafana does."""
        return self._once("namespace", self._namespace)

    def _namespace(self) -> str:
        _, settings = self.call("GET", "/api/frontend/settings", "frontend settings")
        if isinstance(settings, dict) and isinstance(settings.get("namespace"), str) and settings["namespace"]:
            return settings["namespace"]
        _, org = self.call("GET", "/api/org", "current organization")
        org_id = (org or {}).get("id", 1) if isinstance(org, dict) else 1
        return "default" if org_id == 1 else f"org-{org_id}"

    def dashboard(self, uid: str, what: str = "") -> dict | None:
        """{"dashboard", "meta"} or None when Grafana has no dashboard with this uid; a dashboard stored in
        the v2 format answers 406: {"stored_as": <message naming the API that serves it>}."""
        status, payload = self.call("GET", f"/api/dashboards/uid/{quote(uid)}", what or f"dashboard {uid}",
                                    allow=(404, 406))
        if status == 406:
            return {"not_acceptable": (payload or {}).get("message", "") if isinstance(payload, dict) else ""}
        return None if status == 404 else payload

    def dashboard_versions(self, uid: str, limit: int, what: str = "") -> list[dict]:
        """The saved versions of a dashboard, newest first (without their content)."""
        _, payload = self.call("GET", f"/api/dashboards/uid/{quote(uid)}/versions", what or f"versions of {uid}",
                               params={"limit": limit})
        rows = payload.get("versions") if isinstance(payload, dict) else payload   # 11.6+: an object; before: a list
        return [r for r in rows or [] if isinstance(r, dict)]

    def dashboard_version(self, uid: str, version: int, what: str = "") -> dict | None:
        """The dashboard JSON saved as `version`, or None when Grafana no longer has it."""
        status, payload = self.call("GET", f"/api/dashboards/uid/{quote(uid)}/versions/{int(version)}",
                                    what or f"version {version} of {uid}", allow=(404,))
        return None if status == 404 or not isinstance(payload, dict) else payload.get("data")

    def save_dashboard(self, model: dict, folder_uid: str, message: str, overwrite: bool, what: str = "") -> dict:
        body = {"dashboard": model, "folderUid": folder_uid, "message": message, "overwrite": overwrite}
        return self.call("POST", "/api/dashboards/db", what or f"dashboard {model.get('uid')}", body=body)[1]

    def search_dashboards(self, tag: str, folder_uid: str) -> list[dict]:
        """Every dashboard carrying `tag` in the folder `folder_uid` (all pages)."""
        hits: list[dict] = []
        page, page_size = 1, SEARCH_PAGE_SIZE
        while True:
            params = {"tag": tag, "type": "dash-db", "folderUIDs": folder_uid, "limit": page_size, "page": page}
            batch = self.call("GET", "/api/search", f"search tag {tag} in folder {folder_uid}", params=params)[1] or []
            hits += batch
            if len(batch) < page_size:
                return hits
            page += 1

    def delete_dashboard(self, uid: str, what: str = "") -> bool:
        """True when deleted, False when Grafana no longer had it."""
        status, _ = self.call("DELETE", f"/api/dashboards/uid/{quote(uid)}", what or f"delete dashboard {uid}",
                              allow=(404,))
        return status != 404

    def datasource(self, uid: str) -> dict | None:
        status, payload = self.call("GET", f"/api/datasources/uid/{quote(uid)}", f"datasource {uid}",
                                    allow=(404,))
        return None if status == 404 else payload

    def create_datasource(self, body: dict) -> dict:
        return self.call("POST", "/api/datasources", f"create datasource {body.get('uid')}", body=body)[1]


def _payload(resp: requests.Response):
    try:
        return resp.json()
    except ValueError:
        return None


def _retry_after(resp: requests.Response) -> float | None:
    """Seconds to wait from Retry-After (delay-seconds or an HTTP-date, RFC 9110 10.2.3); None if absent or bad.
    Not capped here: _wait caps every wait at MAX_WAIT."""
    value = (resp.headers.get("Retry-After") or "").strip()
    if not value:
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:  # HTTP-dates are GMT; "-0000" parses as naive
        when = when.replace(tzinfo=UTC)
    return max((when - datetime.now(UTC)).total_seconds(), 0.0)


def _connection_reason(exc: Exception) -> str:
    text = str(exc).lower()
    for needle, reason in (("refused", "connection refused"), ("reset", "connection reset"),
                           ("name or service not known", "host name not found"),
                           ("nodename nor servname", "host name not found"),
                           ("temporary failure in name resolution", "host name not found"),
                           ("no route", "no route to host"), ("aborted", "connection closed"),
                           ("remote end closed", "connection closed")):
        if needle in text:
            return reason
    return "connection failed"


def _ssl_reason(exc: Exception) -> str:
    text = str(exc)
    for needle in ("certificate verify failed: self-signed certificate in certificate chain",
                   "certificate verify failed: self-signed certificate",
                   "certificate verify failed: unable to get local issuer certificate",
                   "certificate verify failed: Hostname mismatch", "certificate verify failed",
                   "wrong version number"):
        if needle.lower() in text.lower():
            return needle
    return "TLS handshake failed"
