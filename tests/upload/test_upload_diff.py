"""`vvdash diff`: a unified diff per dashboard against Grafana; reads only."""

from __future__ import annotations

from upload_helpers import FAST, FOLDER_UID, VIEWER_TOKEN, dashboard, upload_args, write_dashboards

from vvdash.ship.local import MANAGED_TAG


def _diff(vv, standin, folder, env=None):
    return vv("diff", "--grafana-url", standin.url, "--dashboards", folder, *FAST, env=env)


def test_no_difference_after_upload_read_only_token_is_enough(vv, standin, dash_dir):
    assert vv(*upload_args(standin, dash_dir)).code == 0
    standin.reset_log()
    run = _diff(vv, standin, dash_dir, env={"VVDASH_GRAFANA_TOKEN": VIEWER_TOKEN})
    assert run.code == 0, run.err
    assert run.out == ""
    assert "0 differ, 5 unchanged" in run.err
    assert standin.writes == []


def test_changed_new_and_removed_dashboards(vv, standin, dash_dir):
    assert vv(*upload_args(standin, dash_dir)).code == 0
    write_dashboards(dash_dir, [dashboard("vv-fix-2", "Renamed board"), dashboard("vv-fix-9")])
    (dash_dir / "vv-fix-5.json").unlink()
    standin.reset_log()
    run = _diff(vv, standin, dash_dir)
    assert run.code == 1
    assert standin.writes == []
    out = run.out.splitlines()
    i = next(n for n, line in enumerate(out) if line.startswith("--- grafana:vv-fix-2 (version 1 by token at "))
    assert "changed in Grafana" not in out[i]
    assert out[i + 1] == f"+++ {dash_dir / 'vv-fix-2.json'}"
    assert '-  "title": "Fixture vv-fix-2",' in out and '+  "title": "Renamed board",' in out
    assert "--- /dev/null" in out and f"+++ {dash_dir / 'vv-fix-9.json'} (new in Grafana)" in out
    assert '+  "uid": "vv-fix-9"' in out
    assert any(line.startswith("# only in Grafana: vv-fix-5") and "--prune" in line for line in out)
    assert "1 differ, 1 new, 3 unchanged, 1 only in Grafana" in run.err
    # Unchanged dashboards print nothing.
    assert not any("vv-fix-1" in line for line in out)


def test_diff_ignores_grafana_owned_id_and_version(vv, standin, dash_dir):
    assert vv(*upload_args(standin, dash_dir)).code == 0
    for _ in range(3):  # versions move on in Grafana; the content stays ours
        standin.seed_dashboard(dict(standin.dashboards["vv-fix-1"]["data"]), folder_uid=FOLDER_UID)
    assert standin.dashboards["vv-fix-1"]["version"] == 4
    run = _diff(vv, standin, dash_dir)
    assert run.code == 0, run.out


def test_folder_move_shows_in_diff(vv, standin, dash_dir):
    assert vv(*upload_args(standin, dash_dir)).code == 0
    standin.seed_folder("other", "Other")
    standin.seed_dashboard(dict(standin.dashboards["vv-fix-3"]["data"]), folder_uid="other")
    run = _diff(vv, standin, dash_dir)
    assert run.code == 1
    assert f"# folder: other -> {FOLDER_UID}" in run.out


def test_diff_error_exits_2_and_names_the_dashboard(vv, standin, dash_dir):
    standin.deny("GET", "/api/dashboards/uid/vv-fix-4", status=403)
    run = _diff(vv, standin, dash_dir)
    assert run.code == 2
    assert "dashboard vv-fix-4 'Fixture vv-fix-4': GET /api/dashboards/uid/vv-fix-4" in run.err
    assert "Permissions needed: dashboards:read" in run.err


def test_managed_dashboards_in_other_folders_are_not_listed(vv, standin, dash_dir):
    """Another install's folder or a "Save as" copy carries the tag too; diff speaks only of vvdash's folder."""
    assert vv(*upload_args(standin, dash_dir)).code == 0
    standin.seed_folder("other-install", "Other install")
    standin.seed_dashboard(dashboard("other-board", "Other board", tags=[MANAGED_TAG]), folder_uid="other-install")
    standin.seed_dashboard(dashboard("saved-as-copy", "Copy", tags=[MANAGED_TAG]))
    run = _diff(vv, standin, dash_dir)
    assert run.code == 0, run.out + run.err
    assert "only in Grafana" not in run.out + run.err
    (dash_dir / "vv-fix-2.json").unlink()
    run = _diff(vv, standin, dash_dir)
    assert run.code == 1
    assert [line.split()[4] for line in run.out.splitlines() if line.startswith("# only in Grafana")] == ["vv-fix-2"]
