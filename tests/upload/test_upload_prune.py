"""`vvdash upload --prune` deletes exactly the managed dashboards that left the dashboards folder."""

from __future__ import annotations

import pytest
from upload_helpers import FOLDER_TITLE, FOLDER_UID, dashboard, upload_args, write_dashboards

from vvdash.ship.local import MANAGED_TAG


def _seed_others(standin):
    """Dashboards vvdash must never delete: hand-made ones, in and out of its folder, one with a similar tag."""
    standin.seed_folder(FOLDER_UID, FOLDER_TITLE)
    standin.seed_folder("team", "Team")
    standin.seed_dashboard(dashboard("hand-made", "Hand made", tags=["vv"]), folder_uid=FOLDER_UID)
    standin.seed_dashboard(dashboard("team-board", "Team board", tags=["team"]), folder_uid="team")
    standin.seed_dashboard(dashboard("lookalike", "Lookalike", tags=["managed-by:vvdash-old", "vv"]),
                           folder_uid="team")


def test_prune_deletes_exactly_the_removed_managed_dashboards(vv, standin, dash_dir):
    _seed_others(standin)
    assert vv(*upload_args(standin, dash_dir)).code == 0
    (dash_dir / "vv-fix-2.json").unlink()
    (dash_dir / "vv-fix-4.json").unlink()
    standin.reset_log()
    run = vv(*upload_args(standin, dash_dir, "--prune"))
    assert run.code == 0, run.err
    deletes = sorted(w.path for w in standin.writes if w.method == "DELETE")
    assert deletes == ["/api/dashboards/uid/vv-fix-2", "/api/dashboards/uid/vv-fix-4"]
    assert [w for w in standin.writes if w.method != "DELETE"] == []
    assert sorted(standin.dashboards) == ["hand-made", "lookalike", "team-board", "vv-fix-1", "vv-fix-3", "vv-fix-5"]
    assert run.lines("[prune] deleted")
    assert run.out.strip().splitlines()[-1].split() == ["dashboards", "0", "0", "3", "0", "2", "0"]


def test_without_prune_nothing_is_deleted(vv, standin, dash_dir):
    assert vv(*upload_args(standin, dash_dir)).code == 0
    (dash_dir / "vv-fix-2.json").unlink()
    assert vv(*upload_args(standin, dash_dir)).code == 0
    assert "vv-fix-2" in standin.dashboards
    assert not [w for w in standin.writes if w.method == "DELETE"]


def test_prune_dry_run_lists_and_deletes_nothing(vv, standin, dash_dir):
    assert vv(*upload_args(standin, dash_dir)).code == 0
    (dash_dir / "vv-fix-5.json").unlink()
    standin.reset_log()
    run = vv(*upload_args(standin, dash_dir, "--prune", "--dry-run"))
    assert run.code == 0, run.err
    assert standin.writes == []
    assert "vv-fix-5" in standin.dashboards
    assert run.lines("would delete vv-fix-5")


def test_prune_is_skipped_when_an_upload_fails(vv, standin, dash_dir):
    assert vv(*upload_args(standin, dash_dir)).code == 0
    (dash_dir / "vv-fix-1.json").unlink()
    write_dashboards(dash_dir, [dashboard("vv-fix-2", description="changed")])
    standin.fail(500, "POST", "/api/dashboards/db", times=None)
    standin.reset_log()
    run = vv(*upload_args(standin, dash_dir, "--prune", "--retries", "0"))
    assert run.code == 1
    assert "prune skipped" in run.out
    assert "vv-fix-1" in standin.dashboards
    assert not [w for w in standin.writes if w.method == "DELETE"]


def test_prune_is_skipped_when_a_local_file_is_broken(vv, standin, dash_dir):
    """A broken file might be a dashboard that still exists: deleting it from Grafana would lose it."""
    assert vv(*upload_args(standin, dash_dir)).code == 0
    (dash_dir / "vv-fix-3.json").write_text('{"uid": "vv-fix-3", "title": ')
    standin.reset_log()
    run = vv(*upload_args(standin, dash_dir, "--prune"))
    assert run.code == 1
    assert "vv-fix-3.json: invalid JSON at line 1" in run.out
    assert "prune skipped" in run.out
    assert "vv-fix-3" in standin.dashboards and standin.writes == []


def test_prune_counts_a_dashboard_someone_else_deleted_meanwhile(vv, standin, dash_dir):
    assert vv(*upload_args(standin, dash_dir)).code == 0
    (dash_dir / "vv-fix-2.json").unlink()
    standin.fail(404, "DELETE", "/api/dashboards/uid/vv-fix-2")
    run = vv(*upload_args(standin, dash_dir, "--prune"))
    assert run.code == 0, run.err
    assert run.lines("deleted      vv-fix-2 'Fixture vv-fix-2' (already gone)")


def test_prune_reads_every_search_page(vv, standin, tmp_path, monkeypatch):
    """Prune must see managed dashboards beyond the first page of /api/search."""
    import vvdash.ship.client as client_module

    monkeypatch.setattr(client_module, "SEARCH_PAGE_SIZE", 3)
    folder = write_dashboards(tmp_path / "d", [dashboard(f"vv-p-{i}") for i in range(8)])
    assert vv(*upload_args(standin, folder)).code == 0
    for i in range(1, 8):
        (folder / f"vv-p-{i}.json").unlink()
    run = vv(*upload_args(standin, folder, "--prune"))
    assert run.code == 0, run.err
    assert sorted(standin.dashboards) == ["vv-p-0"]
    searches = [r for r in standin.requests if r.path == "/api/search"]
    assert len(searches) == 3
    assert MANAGED_TAG in standin.dashboards["vv-p-0"]["data"]["tags"]


def _seed_tagged_elsewhere(standin):
    """Managed-tagged dashboards outside vvdash's folder: another install's folder, a UI "Save as" copy
    in a team folder, and one in General. None of them is vvdash's to delete."""
    standin.seed_folder("other-install", "Other install")
    standin.seed_folder("team", "Team")
    standin.seed_dashboard(dashboard("other-board", "Other board", tags=["vv", MANAGED_TAG]),
                           folder_uid="other-install")
    standin.seed_dashboard(dashboard("saved-as-copy", "Fixture vv-fix-1 copy", tags=["vv", MANAGED_TAG]),
                           folder_uid="team")
    standin.seed_dashboard(dashboard("in-general", "In General", tags=[MANAGED_TAG]))


@pytest.mark.parametrize("search", ["in the folder", "in every folder"])
def test_prune_touches_only_the_configured_folder(vv, standin, dash_dir, monkeypatch, search):
    """Prune searches vvdash's folder; even if the search answered for every folder, only hits in
    vvdash's folder are deleted (each hit's folder is checked again)."""
    from vvdash.ship.client import GrafanaClient

    if search == "in every folder":
        every_folder = GrafanaClient.search_dashboards
        monkeypatch.setattr(GrafanaClient, "search_dashboards", lambda self, tag, folder_uid: every_folder(self, tag, ""))
    assert vv(*upload_args(standin, dash_dir)).code == 0
    _seed_tagged_elsewhere(standin)
    (dash_dir / "vv-fix-5.json").unlink()
    standin.reset_log()
    run = vv(*upload_args(standin, dash_dir, "--prune"))
    assert run.code == 0, run.err
    assert [w.path for w in standin.writes] == ["/api/dashboards/uid/vv-fix-5"]
    assert {"other-board", "saved-as-copy", "in-general"} <= set(standin.dashboards)
    searches = [r.summary for r in standin.requests if r.path == "/api/search"]
    if search == "in the folder":
        assert searches == [{"tag": MANAGED_TAG, "folderUIDs": FOLDER_UID}]
    else:
        assert searches and not any(s.get("folderUIDs") for s in searches)    # the search was not limited
    assert {"other-board", "saved-as-copy", "in-general"} <= set(standin.dashboards)
