"""Upload: bring Grafana to the local dashboards, writing only what differs.

Order: health check, folders (folders.py), the dashboard API Grafana offers (store.py), optional Prometheus
datasource, every dashboard (concurrently when jobs > 1), then prune. Setup failures stop the run before any
dashboard (exit 2); a failed dashboard is reported and the others go on unless fail_fast; a dashboard changed
in Grafana since vvdash's last upload is left alone and reported (exit 1) unless force; prune runs only when
nothing failed or was left alone.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field

from vvdash.errors import EXIT_FINDINGS, EXIT_OK, VVError
from vvdash.ship.client import GrafanaClient, GrafanaError
from vvdash.ship.changes import dashboard_diff_lines, edit_in_grafana, grafana_change_lines
from vvdash.ship.folders import Folders
from vvdash.ship.local import MANAGED_TAG, LocalDashboard, Problem, canonical, with_record
from vvdash.ship.report import DRIFTED, Outcome, Reporter
from vvdash.ship.store import Remote, open_store


@dataclass
class Options:
    folder_uid: str
    folder_path: list[str]               # folder titles from the top level down (inventory.grafana_folders.folder_path)
    message: str = ""
    dry_run: bool = False
    prune: bool = False
    force: bool = False
    fail_fast: bool = False
    jobs: int = 4
    datasource: dict | None = None      # POST /api/datasources body to ensure, or None


@dataclass
class Result:
    outcomes: list[Outcome] = field(default_factory=list)
    setup_failures: list[str] = field(default_factory=list)

    @property
    def failed(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.action == "failed"]

    @property
    def exit_code(self) -> int:
        drifted = any(o.action == DRIFTED for o in self.outcomes)
        return EXIT_FINDINGS if self.failed or self.setup_failures or drifted else EXIT_OK


def preflight(client: GrafanaClient) -> dict:
    """GET /api/health; VVError (exit 2) when no healthy Grafana answers."""
    url = client.conn.url
    try:
        health = client.health()
    except GrafanaError as exc:
        if exc.status == 404:
            raise VVError(f"{url}: no Grafana API here (GET /api/health answered 404); check the URL and any "
                          "sub-path") from None
        raise VVError(f"{url}: {exc}") from None
    if "database" not in health:
        raise VVError(f"{url}: GET /api/health did not answer like Grafana (no 'database' field)")
    if health["database"] != "ok":
        raise VVError(f"{url}: Grafana reports its database as {health['database']!r}")
    return health


def ensure_datasource(client: GrafanaClient, spec: dict, dry_run: bool, report: Reporter) -> str | None:
    """None when the datasource exists or was created; otherwise the failure."""
    try:
        existing = client.datasource(spec["uid"])
        if existing is not None:
            if existing.get("type") != spec["type"]:
                return (f"datasource {spec['uid']}: exists with type {existing.get('type')!r}, "
                        f"dashboards expect {spec['type']!r}")
            return None
        if dry_run:
            report.line(f"would create datasource {spec['uid']} {spec['name']!r} -> {spec['url']}")
            return None
        client.create_datasource(spec)
        report.line(f"created datasource {spec['uid']} {spec['name']!r} -> {spec['url']}")
        return None
    except GrafanaError as exc:
        return str(exc)


def sync_dashboard(store, dash: LocalDashboard, opts: Options) -> Outcome:
    """Create, update or leave one dashboard; never raises for Grafana errors."""
    what = f"dashboard {dash.label}"
    try:
        remote = store.get(dash.uid, what)
        if remote is not None and remote.stored_as and not opts.force:
            return Outcome(dash.uid, dash.title, DRIFTED, v2_stored_line(remote, dash))
        if remote is not None and not remote.stored_as and _same(remote, dash, opts.folder_uid):
            return Outcome(dash.uid, dash.title, "unchanged", f"version {remote.version}")
        # A dashboard made in Grafana with our uid: taking it over would let a later prune delete it.
        foreign = remote is not None and not remote.stored_as and \
            MANAGED_TAG not in (remote.dashboard.get("tags") or [])
        if foreign and not opts.force:
            return Outcome(dash.uid, dash.title, "failed",
                           f"{what}: Grafana already has a dashboard with uid {dash.uid} that vvdash did not upload "
                           f"(no {MANAGED_TAG} tag); change the uid, delete that one in Grafana, or "
                           "`vvdash upload --force` to take it over")
        # A provisioned copy has no upload record; the write is tried so Grafana's refusal is reported.
        drifted, found = edit_in_grafana(store.client, remote, what) if remote is not None and not \
            remote.provisioned and not foreign else (False, None)
        if drifted and not opts.force:
            shown = ("Below: that edit (vvdash's last upload -> Grafana now)" if found else
                     "Below: what an upload would change (Grafana's history has no earlier upload to compare)")
            return Outcome(dash.uid, dash.title, DRIFTED,
                           f"{what}: edited since vvdash's last upload ({remote.describe()}); left as it is. "
                           f"{shown}. Copy the edit into the definitions, or `vvdash upload --force` to overwrite it",
                           diff=grafana_change_lines(found, remote, dash.uid) if found else
                           dashboard_diff_lines(remote, dash, opts.folder_uid))
        action = "created" if remote is None else "updated"
        if opts.dry_run:
            return Outcome(dash.uid, dash.title, action, _moved(remote, opts.folder_uid))
        model = with_record(dash.model)
        overwrite = opts.force and drifted
        try:
            saved = store.save(model, opts.folder_uid, opts.message, remote, overwrite=overwrite, what=what)
            note = ", took over a dashboard vvdash did not upload" if foreign else (
                ", overwrote changes made in Grafana" if drifted else "")
            return Outcome(dash.uid, dash.title, action, f"version {saved}{note}")
        except GrafanaError as exc:
            if not _conflict(exc, remote):
                raise
            again = store.get(dash.uid, what)
            if again is not None and not again.stored_as and _same(again, dash, opts.folder_uid):
                # An earlier attempt went through before its answer was lost.
                return Outcome(dash.uid, dash.title, action, f"version {again.version}")
            if not opts.force:
                raise
            saved = store.save(model, opts.folder_uid, opts.message, again, overwrite=True, what=what)
            return Outcome(dash.uid, dash.title, "updated", f"version {saved}, overwrote changes made in Grafana")
    except GrafanaError as exc:
        return Outcome(dash.uid, dash.title, "failed", str(exc))


def v2_stored_line(remote: Remote, dash: LocalDashboard) -> str:
    title = f" {remote.title!r}" if remote.title and remote.title != dash.title else ""
    return (f"dashboard {dash.label}: Grafana stores it{title} in the v2 dashboard format ({remote.stored_as}, "
            "saved from Grafana's new dashboard editor), which vvdash does not write; left as it is: "
            "`vvdash upload --force` replaces it with vvdash's version (Grafana keeps the v2 one in its "
            "history), or delete it in Grafana")


def _conflict(exc: GrafanaError, remote: Remote | None) -> bool:
    """Someone saved between our read and our write (legacy 412, resource API 409 Conflict), or our create
    met the dashboard an earlier attempt of it made (409 AlreadyExists after a lost answer)."""
    return (exc.status == 412 and exc.status_text == "version-mismatch") or \
        (exc.status == 409 and exc.status_text == "Conflict") or \
        (exc.status == 409 and exc.status_text == "AlreadyExists" and remote is None)


def _same(remote: Remote, dash: LocalDashboard, folder_uid: str) -> bool:
    return remote.folder_uid == folder_uid and canonical(remote.dashboard) == canonical(dash.model)


def _moved(remote: Remote | None, folder_uid: str) -> str:
    if remote is None:
        return ""
    return f"move from folder {remote.folder_uid or 'General'}" if remote.folder_uid != folder_uid else ""


def prunable(hit: dict, folder_uid: str, keep: set[str]) -> bool:
    """A dashboard that --prune deletes: a managed dashboard directly in vvdash's folder that is not kept.
    The listing asked for the tag and the folder already; checked again so a search bug (or a Grafana that
    ignores folderUIDs) cannot widen what is deleted, e.g. to another install's folder, a subfolder or a
    "Save as" copy."""
    uid = hit.get("uid", "")
    return (MANAGED_TAG in (hit.get("tags") or []) and bool(uid) and hit.get("folderUid") == folder_uid
            and uid not in keep)


def prune(store, keep: set[str], folder_uid: str, dry_run: bool, report: Reporter) -> list[Outcome]:
    """Delete dashboards tagged MANAGED_TAG directly in `folder_uid` whose uid is not in `keep`; nothing else."""
    try:
        hits = store.managed(MANAGED_TAG, folder_uid)
    except GrafanaError as exc:
        return [Outcome("prune", "", "failed", f"prune: {exc}")]
    outcomes = []
    for hit in sorted(hits, key=lambda h: h.get("uid", "")):
        if not prunable(hit, folder_uid, keep):
            continue
        uid = hit["uid"]
        title = hit.get("title", "")
        if dry_run:
            outcomes.append(Outcome(uid, title, "deleted", "not in the dashboards folder"))
            continue
        try:
            gone = store.delete(uid, f"prune dashboard {uid} {title!r}")
            outcomes.append(Outcome(uid, title, "deleted", "" if gone else "already gone"))
        except GrafanaError as exc:
            outcomes.append(Outcome(uid, title, "failed", str(exc)))
    return outcomes


def open_dashboards(client: GrafanaClient, report: Reporter):
    """The store this Grafana offers (see store.py); VVError (exit 2) when discovery itself fails."""
    try:
        store = open_store(client)
    except GrafanaError as exc:
        raise VVError(f"{client.conn.url}: {exc}") from None
    report.note(f"dashboards through the {store.name}")
    return store


def upload(client: GrafanaClient, dashboards: list[LocalDashboard], problems: list[Problem], opts: Options,
           report: Reporter) -> Result:
    preflight(client)
    Folders(client, opts.folder_path, opts.folder_uid, opts.dry_run, report).ensure()
    store = open_dashboards(client, report)
    result = Result()
    if opts.datasource:
        failure = ensure_datasource(client, opts.datasource, opts.dry_run, report)
        if failure:
            report.line(f"failed datasource: {failure}")
            result.setup_failures.append(failure)
    total = len(dashboards) + len(problems)
    for p in problems:
        outcome = Outcome(p.path.name, "", "failed", str(p))
        result.outcomes.append(outcome)
        report.progress(outcome, total)
    stop = threading.Event()
    if opts.fail_fast and (problems or result.setup_failures):
        stop.set()

    def one(dash: LocalDashboard) -> Outcome:
        if stop.is_set():
            return Outcome(dash.uid, dash.title, "skipped", "--fail-fast")
        outcome = sync_dashboard(store, dash, opts)
        if outcome.action in ("failed", DRIFTED) and opts.fail_fast:
            stop.set()
        return outcome

    with ThreadPoolExecutor(max_workers=max(1, opts.jobs), thread_name_prefix="upload") as pool:
        futures = [pool.submit(one, d) for d in dashboards]
        for future in as_completed(futures):
            outcome = future.result()
            result.outcomes.append(outcome)
            report.progress(outcome, total)
    if opts.prune:
        not_done = len(result.failed) + len(result.setup_failures) + sum(
            o.action in ("skipped", DRIFTED) for o in result.outcomes)
        if not_done:
            report.line(f"prune skipped: {not_done} item(s) failed or were not tried; nothing was deleted")
        else:
            for outcome in prune(store, {d.uid for d in dashboards}, opts.folder_uid, opts.dry_run, report):
                result.outcomes.append(outcome)
                report.progress(outcome, None)
    return result
