"""`vvdash upload` against the Grafana stand-in: what is written, and that a second run writes nothing."""

from __future__ import annotations

import json
import subprocess

import pytest

from upload_helpers import EDITOR_TOKEN, FOLDER_TITLE, FOLDER_UID, dashboard, upload_args, write_dashboards

from vvdash.ship.local import MANAGED_TAG, with_record


def test_first_upload_creates_folder_and_dashboards_with_tag_folder_and_message(vv, standin, dash_dir):
    run = vv(*upload_args(standin, dash_dir, "--message", "release 42"))
    assert run.code == 0, run.err
    assert [(w.method, w.path) for w in standin.writes] == (
        [("POST", "/api/folders")] + [("POST", "/api/dashboards/db")] * 5)
    assert standin.folders[FOLDER_UID]["title"] == FOLDER_TITLE
    for i in range(1, 6):
        stored = standin.dashboards[f"vv-fix-{i}"]
        assert stored["folder_uid"] == FOLDER_UID
        assert stored["message"] == "release 42"
        assert stored["version"] == 1
        assert stored["data"]["tags"] == ["vv", MANAGED_TAG]
        assert stored["data"]["title"] == f"Fixture vv-fix-{i}"
    assert len(run.lines("created      vv-fix-")) == 5          # one progress line per dashboard
    assert run.lines("[5/5]")
    header, counts = run.out.strip().splitlines()[-2:]
    assert header.split() == ["created", "updated", "unchanged", "changed", "in", "Grafana", "deleted", "failed"]
    assert counts.split() == ["dashboards", "5", "0", "0", "0", "0", "0"]


def test_second_upload_writes_nothing(vv, standin, dash_dir):
    assert vv(*upload_args(standin, dash_dir)).code == 0
    standin.reset_log()
    run = vv(*upload_args(standin, dash_dir))
    assert run.code == 0, run.err
    assert standin.writes == []
    assert {r.method for r in standin.requests} == {"GET"}
    assert run.out.strip().splitlines()[-1].split() == ["dashboards", "0", "0", "5", "0", "0", "0"]
    assert all(d["version"] == 1 for d in standin.dashboards.values())


def test_only_the_changed_dashboard_is_written_with_the_version_it_replaces(vv, standin, dash_dir):
    assert vv(*upload_args(standin, dash_dir)).code == 0
    standin.reset_log()
    write_dashboards(dash_dir, [dashboard("vv-fix-3", description="now with a description")])
    run = vv(*upload_args(standin, dash_dir))
    assert run.code == 0, run.err
    assert [(w.method, w.summary["uid"]) for w in standin.writes] == [("POST", "vv-fix-3")]
    assert standin.writes[0].summary["overwrite"] is False   # optimistic: Grafana checks the version
    assert standin.dashboards["vv-fix-3"]["version"] == 2
    assert standin.dashboards["vv-fix-3"]["data"]["description"] == "now with a description"
    assert run.lines("updated      vv-fix-3")
    assert run.out.strip().splitlines()[-1].split() == ["dashboards", "0", "1", "4", "0", "0", "0"]


def test_dashboard_in_another_folder_is_moved(vv, standin, dash_dir):
    standin.seed_folder("elsewhere", "Elsewhere")
    # As vvdash uploaded it (with its record), then moved to another folder in Grafana.
    standin.seed_dashboard(with_record({**json.loads((dash_dir / "vv-fix-1.json").read_text()),
                                        "tags": ["vv", MANAGED_TAG]}), folder_uid="elsewhere")
    run = vv(*upload_args(standin, dash_dir))
    assert run.code == 0, run.err
    assert standin.dashboards["vv-fix-1"]["folder_uid"] == FOLDER_UID
    assert run.lines("updated      vv-fix-1")


def test_dry_run_sends_no_write_and_says_what_it_would_do(vv, standin, dash_dir):
    run = vv(*upload_args(standin, dash_dir, "--dry-run"))
    assert run.code == 0, run.err
    assert standin.writes == [] and standin.dashboards == {} and standin.folders == {}
    assert f"would create folder {FOLDER_UID} {FOLDER_TITLE!r}" in run.out
    assert len(run.lines("would create vv-fix-")) == 5
    assert "dry run: nothing was written to Grafana" in run.out


@pytest.mark.parametrize("jobs", ["1", "8"])
def test_sequential_and_concurrent_runs_reach_the_same_state(vv, standin, tmp_path, jobs):
    folder = write_dashboards(tmp_path / "many", [dashboard(f"vv-many-{i:02d}") for i in range(20)])
    run = vv(*upload_args(standin, folder, "--jobs", jobs))
    assert run.code == 0, run.err
    assert sorted(standin.dashboards) == [f"vv-many-{i:02d}" for i in range(20)]
    assert len([w for w in standin.writes if w.path == "/api/dashboards/db"]) == 20
    standin.reset_log()
    assert vv(*upload_args(standin, folder, "--jobs", jobs)).code == 0
    assert standin.writes == []


def test_default_message_names_the_git_commit(vv, standin, tmp_path):
    repo = tmp_path / "repo"
    folder = write_dashboards(repo / "dashboards", [dashboard("vv-git")])
    git = ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@example.invalid"]
    subprocess.run(git[:3] + ["init", "-q"], check=True)
    subprocess.run(git + ["add", "."], check=True)
    subprocess.run(git + ["commit", "-q", "-m", "dashboards"], check=True)
    commit = subprocess.run(git[:3] + ["rev-parse", "--short=12", "HEAD"], capture_output=True, text=True,
                            check=True).stdout.strip()
    assert vv(*upload_args(standin, folder)).code == 0
    assert standin.dashboards["vv-git"]["message"] == f"vvdash upload (git {commit})"


def test_message_without_git_is_plain(vv, standin, dash_dir):
    assert vv(*upload_args(standin, dash_dir)).code == 0
    assert standin.dashboards["vv-fix-1"]["message"] == "vvdash upload"


def test_url_comes_from_the_environment_when_no_flag(vv, standin, dash_dir):
    run = vv("upload", "--dashboards", dash_dir, env={"VVDASH_GRAFANA_URL": standin.url,
                                                    "VVDASH_GRAFANA_TOKEN": EDITOR_TOKEN})
    assert run.code == 0, run.err
    assert len(standin.dashboards) == 5
