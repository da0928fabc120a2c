"""`vvdash diff`: what an upload would change, as a unified diff per dashboard (Grafana -> local).

Both sides are compared in the form `upload` compares them (local.canonical: sorted keys, no id or
version, the managed-by tag on the local side). Exit like diff(1): 0 no difference, 1 differences,
2 trouble (a dashboard could not be read from Grafana).
"""

from __future__ import annotations

import difflib
from concurrent.futures import ThreadPoolExecutor

from vvdash.errors import EXIT_FINDINGS, EXIT_INVALID, EXIT_OK
from vvdash.ship.client import GrafanaClient, GrafanaError
from vvdash.ship.local import MANAGED_TAG, LocalDashboard, Problem, canonical
from vvdash.ship.sync import preflight, prunable


def dashboard_diff(remote: dict | None, dash: LocalDashboard, folder_uid: str) -> list[str]:
    """Unified diff lines (empty when unchanged)."""
    local_text = canonical(dash.model).splitlines(keepends=True)
    if remote is None:
        return list(difflib.unified_diff([], local_text, "/dev/null", f"{dash.path} (new in Grafana)"))
    version = remote["dashboard"].get("version")
    lines = list(difflib.unified_diff(canonical(remote["dashboard"]).splitlines(keepends=True), local_text,
                                      f"grafana:{dash.uid} (version {version})", str(dash.path)))
    current = (remote.get("meta") or {}).get("folderUid", "")
    if current != folder_uid:
        head = [] if lines else [f"--- grafana:{dash.uid} (version {version})\n", f"+++ {dash.path}\n"]
        lines = head + lines + [f"# folder: {current or 'General'} -> {folder_uid}\n"]
    return lines


def run_diff(client: GrafanaClient, dashboards: list[LocalDashboard], problems: list[Problem], folder_uid: str,
             jobs: int, out, err) -> int:
    preflight(client)

    def fetch(dash):
        try:
            return dash, client.dashboard(dash.uid, f"dashboard {dash.label}"), None
        except GrafanaError as exc:
            return dash, None, exc

    counts = {"differ": 0, "new": 0, "unchanged": 0, "only in Grafana": 0, "failed": 0}
    for p in problems:
        print(f"vvdash: error: {p}", file=err)
        counts["failed"] += 1
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        for dash, remote, error in pool.map(fetch, dashboards):  # map keeps the order: stable output
            if error is not None:
                print(f"vvdash: error: {error}", file=err)
                counts["failed"] += 1
                continue
            lines = dashboard_diff(remote, dash, folder_uid)
            counts["unchanged" if not lines else ("new" if remote is None else "differ")] += 1
            out.writelines(line if line.endswith("\n") else line + "\n" for line in lines)
    try:
        keep = {d.uid for d in dashboards}
        for hit in sorted(client.search_dashboards(MANAGED_TAG, folder_uid), key=lambda h: h.get("uid", "")):
            if prunable(hit, folder_uid, keep):
                counts["only in Grafana"] += 1
                print(f"# only in Grafana: {hit['uid']} {hit.get('title', '')!r} carries {MANAGED_TAG} but is "
                      "not in the dashboards folder; `vvdash upload --prune` deletes it", file=out)
    except GrafanaError as exc:
        print(f"vvdash: error: {exc}", file=err)
        counts["failed"] += 1
    print(", ".join(f"{n} {k}" for k, n in counts.items() if n or k in ("differ", "unchanged")), file=err)
    if counts["failed"]:
        return EXIT_INVALID
    return EXIT_FINDINGS if counts["differ"] or counts["new"] or counts["only in Grafana"] else EXIT_OK
