"""Per-dashboard failures: reported with the dashboard and Grafana's reason, the others still uploaded (exit 1)."""

from __future__ import annotations

from upload_helpers import ADMIN_TOKEN, FOLDER_TITLE, FOLDER_UID, SHORT_TIMEOUT, SLOW_ANSWER, dashboard, upload_args, \
    write_dashboards


def _posts(standin, uid: str) -> list:
    return [w for w in standin.writes if w.path == "/api/dashboards/db" and w.summary.get("uid") == uid]


def test_400_shows_grafanas_message_with_the_dashboard_title(vv, standin, dash_dir):
    long_uid = "vv-" + "x" * 40
    write_dashboards(dash_dir, [dashboard(long_uid, "Far Too Long")])
    run = vv(*upload_args(standin, dash_dir))
    assert run.code == 1
    failed = run.lines("failed")
    assert any(f"dashboard {long_uid} 'Far Too Long': POST /api/dashboards/db: Grafana refused it (400): "
               "uid too long, max 40 characters" in line for line in failed)
    assert sorted(standin.dashboards) == [f"vv-fix-{i}" for i in range(1, 6)]   # the others went through
    assert run.out.strip().splitlines()[-1].endswith("uid too long, max 40 characters")
    assert run.lines("dashboards  ")[0].split() == ["dashboards", "5", "0", "0", "0", "0", "1"]


def test_412_version_mismatch_is_explained_and_force_overwrites(vv, standin, dash_dir):
    assert vv(*upload_args(standin, dash_dir)).code == 0
    write_dashboards(dash_dir, [dashboard("vv-fix-2", description="ours")])
    standin.reset_log()
    standin.concurrent_edit("vv-fix-2")      # someone saves in the UI right after vvdash reads it
    run = vv(*upload_args(standin, dash_dir))
    assert run.code == 1
    line = next(line for line in run.lines("failed") if "vv-fix-2" in line)
    assert "changed by someone else after vvdash read it (412 version-mismatch)" in line
    assert "vvdash upload --force" in line
    assert standin.dashboards["vv-fix-2"]["data"]["description"] == "edited in the UI"
    assert [w.status for w in _posts(standin, "vv-fix-2")] == [412]

    standin.reset_log()
    standin.concurrent_edit("vv-fix-2")
    forced = vv(*upload_args(standin, dash_dir, "--force"))
    assert forced.code == 0, forced.out
    # Grafana's copy now carries that edit, so the forced run overwrites at once; a second edit right
    # after its read is overwritten too.
    assert [(w.status, w.summary["overwrite"]) for w in _posts(standin, "vv-fix-2")] == [(200, True)]
    assert standin.dashboards["vv-fix-2"]["data"]["description"] == "ours"
    assert forced.lines("overwrote changes made in Grafana")


def test_412_name_exists_is_not_forced_over_someone_elses_dashboard(vv, standin, dash_dir):
    standin.seed_folder(FOLDER_UID, FOLDER_TITLE)
    standin.seed_dashboard(dashboard("their-board", "Fixture vv-fix-1", tags=["theirs"]), folder_uid=FOLDER_UID)
    for extra in ((), ("--force",)):
        run = vv(*upload_args(standin, dash_dir, *extra))
        assert run.code == 1
        assert any("another dashboard in the folder already has this title (412 name-exists)" in line
                   for line in run.lines("vv-fix-1"))
    assert "vv-fix-1" not in standin.dashboards
    assert standin.dashboards["their-board"]["data"]["tags"] == ["theirs"]
    assert all(not w.summary.get("overwrite") for w in standin.writes if w.path == "/api/dashboards/db")


def test_5xx_is_retried_and_then_succeeds(vv, standin, dash_dir):
    standin.fail(502, "POST", "/api/dashboards/db", times=2)
    run = vv(*upload_args(standin, dash_dir, "--jobs", "1"))
    assert run.code == 0, run.out
    assert [w.status for w in standin.writes if w.path == "/api/dashboards/db"][:3] == [502, 502, 200]
    assert "retry 1/2: POST /api/dashboards/db (HTTP 502 Bad Gateway)" in run.err
    assert len(standin.dashboards) == 5


def test_persistent_5xx_gives_up_after_bounded_retries(vv, standin, dash_dir):
    standin.fail(500, "GET", "/api/dashboards/uid/vv-fix-4", times=None)
    run = vv(*upload_args(standin, dash_dir, "--retries", "3"))
    assert run.code == 1
    assert [r.status for r in standin.requests if r.path == "/api/dashboards/uid/vv-fix-4"] == [500] * 4
    line = next(line for line in run.lines("failed") if "vv-fix-4" in line)
    assert "GET /api/dashboards/uid/vv-fix-4: HTTP 500: Internal Server Error after 4 attempts" in line
    assert sorted(standin.dashboards) == ["vv-fix-1", "vv-fix-2", "vv-fix-3", "vv-fix-5"]


def test_slow_answer_times_out_and_is_retried(vv, standin, dash_dir):
    standin.delay(SLOW_ANSWER, "GET", "/api/dashboards/uid/vv-fix-1", times=1)
    run = vv(*upload_args(standin, dash_dir, "--timeout", SHORT_TIMEOUT))
    assert run.code == 0, run.out
    assert f"retry 1/2: GET /api/dashboards/uid/vv-fix-1 (no answer within {SHORT_TIMEOUT:g} s)" in run.err
    assert len(standin.dashboards) == 5


def test_always_slow_gives_up_with_the_timeout_named(vv, standin, dash_dir):
    standin.delay(SLOW_ANSWER, "GET", "/api/dashboards/uid/vv-fix-1", times=None)
    run = vv(*upload_args(standin, dash_dir, "--timeout", SHORT_TIMEOUT, "--retries", "1"))
    assert run.code == 1
    line = next(line for line in run.lines("failed") if "vv-fix-1" in line)
    assert f"GET /api/dashboards/uid/vv-fix-1: no answer within {SHORT_TIMEOUT:g} s after 2 attempts" in line


def test_lost_answer_to_a_save_is_not_a_failure(vv, standin, dash_dir):
    """Grafana saved, the answer came too late; the retried save gets 412 and vvdash sees its own version."""
    standin.delay(SLOW_ANSWER, "POST", "/api/dashboards/db", times=1)
    run = vv(*upload_args(standin, dash_dir, "--timeout", SHORT_TIMEOUT, "--jobs", "1"))
    assert run.code == 0, run.out
    delayed = next(w.summary["uid"] for w in standin.writes if w.path == "/api/dashboards/db")
    statuses = [w.status for w in _posts(standin, delayed)]
    # The delayed save went through; every retry of it met Grafana's 412 and was recognised as its own.
    assert statuses[0] == 200 and statuses[1:] and set(statuses[1:]) == {412}
    assert f"retry 1/2: POST /api/dashboards/db (no answer within {SHORT_TIMEOUT:g} s)" in run.err
    assert sorted(standin.dashboards) == [f"vv-fix-{i}" for i in range(1, 6)]
    assert all(d["version"] == 1 for d in standin.dashboards.values())   # nothing saved twice


def test_401_and_403_on_one_endpoint_fail_only_that_dashboard(vv, standin, dash_dir):
    standin.deny("GET", "/api/dashboards/uid/vv-fix-2", status=401)
    standin.deny("DELETE", "/api/dashboards/uid/", status=403)
    assert vv(*upload_args(standin, dash_dir)).code == 1
    (dash_dir / "vv-fix-5.json").unlink()
    standin.clear_knobs()
    standin.deny("DELETE", "/api/dashboards/uid/", status=403)
    run = vv(*upload_args(standin, dash_dir, "--prune"))
    assert run.code == 1
    line = next(line for line in run.lines("failed") if "vv-fix-5" in line)
    assert "prune dashboard vv-fix-5 'Fixture vv-fix-5': DELETE /api/dashboards/uid/vv-fix-5" in line
    assert "Permissions needed: dashboards:delete" in line
    assert "vv-fix-5" in standin.dashboards


def test_401_on_one_dashboard_read_is_reported_for_that_dashboard(vv, standin, dash_dir):
    standin.deny("GET", "/api/dashboards/uid/vv-fix-2", status=401)
    run = vv(*upload_args(standin, dash_dir))
    assert run.code == 1
    line = next(line for line in run.lines("failed") if "vv-fix-2" in line)
    assert "GET /api/dashboards/uid/vv-fix-2: Grafana rejected the credential from $VVDASH_GRAFANA_TOKEN (401" in line
    assert sorted(standin.dashboards) == ["vv-fix-1", "vv-fix-3", "vv-fix-4", "vv-fix-5"]


def test_404_from_the_save_call_is_reported(vv, standin, dash_dir):
    standin.fail(404, "POST", "/api/dashboards/db", times=1)
    run = vv(*upload_args(standin, dash_dir, "--jobs", "1"))
    assert run.code == 1
    failed = run.lines("POST /api/dashboards/db: not found (404: Not found)")
    assert len(failed) == 2   # progress line and the list under the summary
    assert failed[0].startswith("[1/5] failed") and failed[1].startswith("  dashboard vv-fix-1")
    assert len(standin.dashboards) == 4


def test_fail_fast_stops_at_the_first_failure(vv, standin, dash_dir):
    write_dashboards(dash_dir, [dashboard("vv-fix-0" + "0" * 40, "Broken first")])   # sorts first, 400
    run = vv(*upload_args(standin, dash_dir, "--jobs", "1", "--fail-fast"))
    assert run.code == 1
    assert standin.dashboards == {}
    assert len(run.lines("(--fail-fast)")) == 5
    header, counts = run.lines("created  updated")[0], run.lines("dashboards  ")[0]
    assert header.split()[-1] == "skipped" and counts.split() == ["dashboards", "0", "0", "0", "0", "0", "1", "5"]


def test_without_fail_fast_every_dashboard_is_tried(vv, standin, dash_dir):
    write_dashboards(dash_dir, [dashboard("vv-fix-0" + "0" * 40, "Broken first")])
    run = vv(*upload_args(standin, dash_dir, "--jobs", "1"))
    assert run.code == 1
    assert len(standin.dashboards) == 5


def test_broken_local_file_is_named_and_the_rest_uploaded(vv, standin, dash_dir):
    (dash_dir / "zz-no-uid.json").write_text('{"title": "No uid"}')
    (dash_dir / "zz-list.json").write_text("[]")
    run = vv(*upload_args(standin, dash_dir))
    assert run.code == 1
    assert f"{dash_dir / 'zz-no-uid.json'}: no uid; vvdash needs a stable uid" in run.out
    assert f"{dash_dir / 'zz-list.json'}: expected a dashboard object, got list" in run.out
    assert len(standin.dashboards) == 5


def test_datasource_needs_admin_and_is_then_created_once(vv, standin, dash_dir):
    editor = vv(*upload_args(standin, dash_dir, "--datasource"))
    assert editor.code == 1
    assert "datasource vv-prometheus: GET /api/datasources/uid/vv-prometheus" in editor.out
    assert "Permissions needed: datasources:read" in editor.out
    assert len(standin.dashboards) == 5            # dashboards still uploaded

    admin = vv(*upload_args(standin, dash_dir, "--datasource"), env={"VVDASH_GRAFANA_TOKEN": ADMIN_TOKEN})
    assert admin.code == 0, admin.out
    ds = standin.datasources["vv-prometheus"]
    assert (ds["type"], ds["url"], ds["access"]) == ("prometheus", "http://127.0.0.1:9090", "proxy")
    standin.reset_log()
    again = vv(*upload_args(standin, dash_dir, "--datasource"), env={"VVDASH_GRAFANA_TOKEN": ADMIN_TOKEN})
    assert again.code == 0 and standin.writes == []


def test_provisioned_dashboard_is_neither_overwritten_nor_pruned(vv, standin, dash_dir):
    standin.seed_folder(FOLDER_UID, FOLDER_TITLE)
    standin.seed_dashboard(dashboard("vv-fix-1", "Fixture vv-fix-1", tags=["vv", "managed-by:vvdash"],
                                     description="from a provisioning file"), folder_uid=FOLDER_UID, provisioned=True)
    standin.seed_dashboard(dashboard("vv-old", "Old", tags=["managed-by:vvdash"]), folder_uid=FOLDER_UID,
                           provisioned=True)
    run = vv(*upload_args(standin, dash_dir))
    assert run.code == 1
    line = next(line for line in run.lines("failed") if "vv-fix-1" in line)
    assert "Grafana refused it (400): Cannot save provisioned dashboard; Grafana loads this dashboard from " \
           "provisioning files" in line
    (dash_dir / "vv-fix-1.json").unlink()
    run = vv(*upload_args(standin, dash_dir, "--prune"))
    assert run.code == 1
    assert any("provisioned dashboard cannot be deleted" in line for line in run.lines("vv-fix-1"))
    assert {"vv-fix-1", "vv-old"} <= set(standin.dashboards)


def test_two_local_dashboards_with_one_title(vv, standin, dash_dir):
    write_dashboards(dash_dir, [dashboard("vv-twin", "Fixture vv-fix-3")])
    run = vv(*upload_args(standin, dash_dir))
    assert run.code == 1
    assert f"{dash_dir / 'vv-twin.json'}: title 'Fixture vv-fix-3' is too close to 'Fixture vv-fix-3' of " \
           "vv-fix-3.json: Grafana allows one title slug ('fixture-vv-fix-3') per folder" in run.out
    assert "vv-twin" not in standin.dashboards and len(standin.dashboards) == 5


def test_titles_that_differ_only_in_case_or_punctuation_clash_like_in_grafana(vv, standin, dash_dir):
    write_dashboards(dash_dir, [dashboard("vv-twin", "FIXTURE vv-fix-3!")])
    run = vv(*upload_args(standin, dash_dir))
    assert run.code == 1
    assert f"{dash_dir / 'vv-twin.json'}: title 'FIXTURE vv-fix-3!' is too close to 'Fixture vv-fix-3'" in run.out
    assert "vv-twin" not in standin.dashboards


def test_dashboard_made_in_grafana_with_our_uid_is_not_taken_over_without_force(vv, standin, dash_dir):
    standin.seed_folder(FOLDER_UID, FOLDER_TITLE)
    standin.seed_dashboard(dashboard("vv-fix-3", "Fixture vv-fix-3", tags=["ops"], description="hand-made"),
                           folder_uid=FOLDER_UID)
    run = vv(*upload_args(standin, dash_dir))
    assert run.code == 1
    failed = [line for line in run.lines("failed") if "vv-fix-3" in line]
    assert failed and "Grafana already has a dashboard with uid vv-fix-3 that vvdash did not upload (no " \
                      "managed-by:vvdash tag)" in failed[0] and "--force" in failed[0]
    assert standin.dashboards["vv-fix-3"]["data"]["description"] == "hand-made"
    assert standin.dashboards["vv-fix-3"]["version"] == 1
    assert not _posts(standin, "vv-fix-3")
    assert len(standin.dashboards) == 5                      # the other four were uploaded

    forced = vv(*upload_args(standin, dash_dir, "--force"))
    assert forced.code == 0, forced.out
    assert forced.lines("took over a dashboard vvdash did not upload")
    assert "managed-by:vvdash" in standin.dashboards["vv-fix-3"]["data"]["tags"]
    assert "description" not in standin.dashboards["vv-fix-3"]["data"]

