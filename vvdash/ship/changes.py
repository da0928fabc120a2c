"""Unified diffs of Grafana's copy of a dashboard (the `---` side) against the local one (`+++`).

Both sides are compared in the form upload compares them (local.canonical: sorted keys; no id, version or
upload record). A copy changed in Grafana since vvdash's last upload says so in its header: the diff then
shows that change (undone by an upload).
"""

from __future__ import annotations

import difflib

from vvdash.ship.local import LocalDashboard, canonical, changed_in_grafana, recorded_hash


def dashboard_diff_lines(remote, dash: LocalDashboard, folder_uid: str) -> list[str]:
    """Unified diff lines of `remote` (a store.Remote or None) against `dash`; empty when they are the same."""
    local_text = canonical(dash.model).splitlines(keepends=True)
    if remote is None:
        return list(difflib.unified_diff([], local_text, "/dev/null", f"{dash.path} (new in Grafana)"))
    if remote.stored_as:
        return [f"# grafana:{dash.uid} is stored in the v2 dashboard format ({remote.stored_as}); vvdash writes "
                "v1 JSON, so the two cannot be compared line by line\n"]
    drift = ", changed in Grafana since vvdash's last upload" if changed_in_grafana(remote.dashboard) else ""
    head_a = f"grafana:{dash.uid} ({remote.describe()}{drift})"
    lines = list(difflib.unified_diff(canonical(remote.dashboard).splitlines(keepends=True), local_text,
                                      head_a, str(dash.path)))
    if remote.folder_uid != folder_uid:
        head = [] if lines else [f"--- {head_a}\n", f"+++ {dash.path}\n"]
        lines = head + lines + [f"# folder: {remote.folder_uid or 'General'} -> {folder_uid}\n"]
    return lines


HISTORY_DEPTH = 20     # versions looked at for vvdash's last upload


def last_upload(client, remote, what: str):
    """(version row, dashboard JSON) of the newest saved version that is exactly what vvdash wrote (its record
    matches its content), from Grafana's version history; None when none is found or the history cannot be
    read (the caller then shows only the upload diff)."""
    from vvdash.ship.client import GrafanaError   # here: client.py does not need this module

    try:
        for row in client.dashboard_versions(remote.uid, HISTORY_DEPTH, f"{what}: versions"):
            version = row.get("version")
            if not isinstance(version, int) or version == remote.version:
                continue
            data = client.dashboard_version(remote.uid, version, f"{what}: version {version}")
            if isinstance(data, dict) and not changed_in_grafana(data):
                return row, data
    except GrafanaError:
        return None
    return None


def grafana_change_lines(found, remote, uid: str) -> list[str]:
    """The change made in Grafana: vvdash's last upload (---) against Grafana's copy now (+++)."""
    row, data = found
    who = f" by {row.get('createdBy')}" if row.get("createdBy") else ""
    return list(difflib.unified_diff(
        canonical(data).splitlines(keepends=True), canonical(remote.dashboard).splitlines(keepends=True),
        f"grafana:{uid} version {row.get('version')} (vvdash's last upload{who})",
        f"grafana:{uid} {remote.describe()} (now)"))


UPLOAD_MESSAGE = "vvdash upload"   # how every version message of vvdash's begins (setup.commit_message)


def uploaded_without_record(client, remote, what: str) -> bool:
    """Grafana's copy has no upload record but its current version was saved by `vvdash upload` (a release
    that wrote none): an earlier upload, not an edit. Any failure to read the history answers False."""
    from vvdash.ship.client import GrafanaError

    if recorded_hash(remote.dashboard) is not None or remote.stored_as:
        return False
    try:
        rows = client.dashboard_versions(remote.uid, 1, f"{what}: versions")
    except GrafanaError:
        return False
    return bool(rows) and rows[0].get("version") == remote.version and \
        str(rows[0].get("message") or "").startswith(UPLOAD_MESSAGE)


def edit_in_grafana(client, remote, what: str):
    """(edited, last upload or None): whether Grafana's copy was changed since vvdash's last upload.

    Not an edit: the copy matches its upload record; or has no record but its current version is an
    upload by a vvdash that wrote none; or lost the record in a save that changed nothing (its content is
    that of vvdash's last upload in the history)."""
    if remote.stored_as:
        return True, None
    if not changed_in_grafana(remote.dashboard) or uploaded_without_record(client, remote, what):
        return False, None
    found = last_upload(client, remote, what)
    if found is not None and canonical(found[1]) == canonical(remote.dashboard):
        return False, found
    return True, found
