"""`vvdash diff`: what an upload would change, as a unified diff per dashboard (Grafana -> local).

Both sides are compared in the form `upload` compares them (see changes.py). A dashboard changed in
Grafana since vvdash's last upload is marked so (upload leaves it alone without --force). Exit like
diff(1): 0 no difference, 1 differences, 2 trouble (a dashboard could not be read from Grafana).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from vvdash.errors import EXIT_FINDINGS, EXIT_INVALID, EXIT_OK
from vvdash.ship.changes import dashboard_diff_lines, edit_in_grafana, grafana_change_lines
from vvdash.ship.client import GrafanaClient, GrafanaError
from vvdash.ship.local import MANAGED_TAG, LocalDashboard, Problem
from vvdash.ship.sync import open_dashboards, preflight, prunable, v2_stored_line


def run_diff(client: GrafanaClient, dashboards: list[LocalDashboard], problems: list[Problem], folder_uid: str,
             jobs: int, out, err, report) -> int:
    preflight(client)
    store = open_dashboards(client, report)

    def fetch(dash):
        try:
            return dash, store.get(dash.uid, f"dashboard {dash.label}"), None
        except GrafanaError as exc:
            return dash, None, exc

    counts = {"differ": 0, "new": 0, "unchanged": 0, "changed in Grafana": 0, "only in Grafana": 0, "failed": 0}
    for p in problems:
        print(f"vvdash: error: {p}", file=err)
        counts["failed"] += 1
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        for dash, remote, error in pool.map(fetch, dashboards):  # map keeps the order: stable output
            if error is not None:
                print(f"vvdash: error: {error}", file=err)
                counts["failed"] += 1
                continue
            lines = dashboard_diff_lines(remote, dash, folder_uid)
            edited, found = edit_in_grafana(client, remote, f"dashboard {dash.label}") \
                if remote is not None and lines else (False, None)
            if edited:
                counts["changed in Grafana"] += 1
                if remote.stored_as:
                    out.write(f"# {v2_stored_line(remote, dash)}\n")
                else:
                    out.write(f"# dashboard {dash.label}: changed in Grafana since vvdash's last upload "
                              f"({remote.describe()}); `vvdash upload` leaves it alone, `vvdash upload --force` "
                              "overwrites it. First what changed in Grafana, then what an upload would change:\n")
                    out.writelines(grafana_change_lines(found, remote, dash.uid) if found else
                                   ["# (Grafana's history has no earlier upload by vvdash to compare with)\n"])
            else:
                counts["unchanged" if not lines else ("new" if remote is None else "differ")] += 1
            out.writelines(line if line.endswith("\n") else line + "\n" for line in lines)
    try:
        keep = {d.uid for d in dashboards}
        for hit in sorted(store.managed(MANAGED_TAG, folder_uid), key=lambda h: h.get("uid", "")):
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
    found = counts["differ"] + counts["new"] + counts["only in Grafana"] + counts["changed in Grafana"]
    return EXIT_FINDINGS if found else EXIT_OK
