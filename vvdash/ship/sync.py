"""Upload: bring Grafana to the local dashboards, writing only what differs.

Order: health check, folder (by uid), optional Prometheus datasource, every dashboard (concurrently when
jobs > 1), then prune. Setup failures stop the run before any dashboard (exit 2); a failed dashboard is
reported and the others go on unless fail_fast; prune runs only when nothing failed.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field

from vvdash.errors import EXIT_FINDINGS, EXIT_OK, VVError
from vvdash.ship.client import GrafanaClient, GrafanaError
from vvdash.ship.local import MANAGED_TAG, LocalDashboard, Problem, canonical
from vvdash.ship.report import Outcome, Reporter


@dataclass
class Options:
    folder_uid: str
    folder_title: str
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
        return EXIT_FINDINGS if self.failed or self.setup_failures else EXIT_OK


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


def ensure_folder(client: GrafanaClient, opts: Options, report: Reporter) -> None:
    try:
        folder = client.folder(opts.folder_uid)
        if folder is not None:
            if folder.get("title") != opts.folder_title:
                report.note(f"note: folder {opts.folder_uid} is titled {folder.get('title')!r} in Grafana, "
                            f"{opts.folder_title!r} in the inventory; left as it is")
            return
        if opts.dry_run:
            report.line(f"would create folder {opts.folder_uid} {opts.folder_title!r}")
            return
        try:
            client.create_folder(opts.folder_uid, opts.folder_title)
        except GrafanaError as exc:
            # 409 after a retry: the first POST went through and only its answer was lost. Any other 409
            # (the title taken by a folder with another uid) leaves no folder with our uid: report that.
            if exc.status != 409 or client.folder(opts.folder_uid) is None:
                raise
            report.note(f"note: folder {opts.folder_uid} already existed when created (409); using it")
            return
        report.line(f"created folder {opts.folder_uid} {opts.folder_title!r}")
    except GrafanaError as exc:
        raise VVError(str(exc)) from None


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


def sync_dashboard(client: GrafanaClient, dash: LocalDashboard, opts: Options) -> Outcome:
    """Create, update or leave one dashboard; never raises for Grafana errors."""
    what = f"dashboard {dash.label}"
    try:
        remote = client.dashboard(dash.uid, what)
        if remote is not None and _same(remote, dash, opts.folder_uid):
            return Outcome(dash.uid, dash.title, "unchanged", f"version {remote['dashboard'].get('version')}")
        # A dashboard made in Grafana with our uid: taking it over would let a later prune delete it.
        foreign = remote is not None and MANAGED_TAG not in ((remote.get("dashboard") or {}).get("tags") or [])
        if foreign and not opts.force:
            return Outcome(dash.uid, dash.title, "failed",
                           f"{what}: Grafana already has a dashboard with uid {dash.uid} that vvdash did not upload "
                           f"(no {MANAGED_TAG} tag); change the uid, delete that one in Grafana, or "
                           "`vvdash upload --force` to take it over")
        action = "created" if remote is None else "updated"
        if opts.dry_run:
            return Outcome(dash.uid, dash.title, action, _moved(remote, opts.folder_uid))
        model = dict(dash.model)
        if remote is not None:
            # Optimistic concurrency: Grafana answers 412 if someone saved after this read.
            model["version"] = remote["dashboard"].get("version")
        try:
            saved = client.save_dashboard(model, opts.folder_uid, opts.message, overwrite=False, what=what)
            taken = ", took over a dashboard vvdash did not upload" if foreign else ""
            return Outcome(dash.uid, dash.title, action, f"version {saved.get('version')}{taken}")
        except GrafanaError as exc:
            if not (exc.status == 412 and exc.status_text == "version-mismatch"):
                raise
            again = client.dashboard(dash.uid, what)
            if again is not None and _same(again, dash, opts.folder_uid):
                # An earlier attempt went through before its answer was lost.
                return Outcome(dash.uid, dash.title, action, f"version {again['dashboard'].get('version')}")
            if not opts.force:
                raise
            saved = client.save_dashboard(dict(dash.model), opts.folder_uid, opts.message, overwrite=True,
                                          what=what)
            return Outcome(dash.uid, dash.title, "updated",
                           f"version {saved.get('version')}, overwrote changes made in Grafana")
    except GrafanaError as exc:
        return Outcome(dash.uid, dash.title, "failed", str(exc))


def _same(remote: dict, dash: LocalDashboard, folder_uid: str) -> bool:
    meta = remote.get("meta") or {}
    return meta.get("folderUid", "") == folder_uid and canonical(remote.get("dashboard") or {}) == canonical(dash.model)


def _moved(remote: dict | None, folder_uid: str) -> str:
    if remote is None:
        return ""
    current = (remote.get("meta") or {}).get("folderUid", "")
    return f"move from folder {current or 'General'}" if current != folder_uid else ""


def prunable(hit: dict, folder_uid: str, keep: set[str]) -> bool:
    """A search hit that --prune deletes: a managed dashboard in vvdash's folder that is not kept.
    The search asked for the tag and the folder already; checked again so a search bug (or a Grafana that
    ignores folderUIDs) cannot widen what is deleted, e.g. to another install's folder or a "Save as" copy."""
    uid = hit.get("uid", "")
    return (hit.get("type") == "dash-db" and MANAGED_TAG in (hit.get("tags") or []) and bool(uid)
            and hit.get("folderUid") == folder_uid and uid not in keep)


def prune(client: GrafanaClient, keep: set[str], folder_uid: str, dry_run: bool, report: Reporter) -> list[Outcome]:
    """Delete dashboards tagged MANAGED_TAG in `folder_uid` whose uid is not in `keep`; nothing else."""
    try:
        hits = client.search_dashboards(MANAGED_TAG, folder_uid)
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
            gone = client.delete_dashboard(uid, f"prune dashboard {uid} {title!r}")
            outcomes.append(Outcome(uid, title, "deleted", "" if gone else "already gone"))
        except GrafanaError as exc:
            outcomes.append(Outcome(uid, title, "failed", str(exc)))
    return outcomes


def upload(client: GrafanaClient, dashboards: list[LocalDashboard], problems: list[Problem], opts: Options,
           report: Reporter) -> Result:
    preflight(client)
    ensure_folder(client, opts, report)
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
        outcome = sync_dashboard(client, dash, opts)
        if outcome.action == "failed" and opts.fail_fast:
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
            o.action == "skipped" for o in result.outcomes)
        if not_done:
            report.line(f"prune skipped: {not_done} item(s) failed or were not tried; nothing was deleted")
        else:
            for outcome in prune(client, {d.uid for d in dashboards}, opts.folder_uid, opts.dry_run, report):
                result.outcomes.append(outcome)
                report.progress(outcome, None)
    return result
