"""Runs that cannot start exit 2 with one line naming the culprit, and write nothing."""

from __future__ import annotations

import shutil
import subprocess

import pytest
import yaml

from upload_helpers import ADMIN_PASSWORD, EDITOR_TOKEN, FOLDER_TITLE, FOLDER_UID, VIEWER_TOKEN, upload_args

from tests.helpers import PROJECT_ROOT
from vvdash.procs import free_port
from tests.grafana_standin import GrafanaStandin


def _one_error_line(run) -> str:
    lines = [line for line in run.err.splitlines() if line.startswith("vvdash: error:")]
    assert len(lines) == 1, run.err
    return lines[0]


def test_no_token_anywhere(vv, standin, dash_dir):
    run = vv(*upload_args(standin, dash_dir), env={})
    assert run.code == 2
    line = _one_error_line(run)
    assert "no Grafana credential" in line and "GRAFANA_TOKEN is not set" in line
    assert "VVDASH_GRAFANA_TOKEN" in line and "--token-file" in line
    assert standin.requests == []


@pytest.mark.parametrize("url, expected", [
    ("ftp://grafana.example.com", "--grafana-url: expected an http(s) URL"),
    ("http://", "--grafana-url: expected an http(s) URL"),
    ("http://127.0.0.1:99999", "--grafana-url: expected an http(s) URL"),
    ("https://grafana.example.com/?orgId=1", "without query or fragment"),
])
def test_bad_url(vv, dash_dir, url, expected):
    run = vv("upload", "--grafana-url", url, "--dashboards", dash_dir)
    assert run.code == 2
    assert expected in _one_error_line(run)


def test_credentials_in_the_url_are_refused_and_not_echoed(vv, dash_dir):
    run = vv("upload", "--grafana-url", f"https://admin:{ADMIN_PASSWORD}@grafana.example.com", "--dashboards",
             dash_dir)
    assert run.code == 2
    assert "must not contain credentials" in _one_error_line(run)   # `vv` also checks the password is absent


def test_refused_connection_is_retried_a_bounded_number_of_times(vv, dash_dir):
    port = free_port()
    run = vv("upload", "--grafana-url", f"http://127.0.0.1:{port}", "--dashboards", dash_dir,
             "--retries", "2", "--retry-backoff", "0.01")
    assert run.code == 2
    line = _one_error_line(run)
    assert f"cannot connect to http://127.0.0.1:{port} (connection refused) after 3 attempts" in line
    assert len([x for x in run.err.splitlines() if x.startswith("retry ")]) == 2


def test_grafana_that_stops_listening_mid_run(vv, standin, dash_dir):
    assert vv(*upload_args(standin, dash_dir)).code == 0
    url = standin.url
    standin.refuse()
    run = vv("upload", "--grafana-url", url, "--dashboards", dash_dir, "--retries", "1", "--retry-backoff", "0.01")
    assert run.code == 2
    assert "connection refused" in _one_error_line(run)


def test_wrong_base_url_path_gives_404_on_health(vv, standin, dash_dir):
    run = vv("upload", "--grafana-url", standin.url + "/grafana", "--dashboards", dash_dir)
    assert run.code == 2
    assert "no Grafana API here (GET /api/health answered 404)" in _one_error_line(run)
    assert standin.writes == []


def test_health_5xx_is_retried_then_succeeds(vv, standin, dash_dir):
    standin.fail(503, "GET", "/api/health", times=2)
    run = vv(*upload_args(standin, dash_dir))
    assert run.code == 0, run.err
    assert [r.status for r in standin.requests if r.path == "/api/health"] == [503, 503, 200]
    assert "retry 1/2: GET /api/health (HTTP 503 Service Unavailable)" in run.err


def test_rejected_token_names_its_source(vv, standin, dash_dir):
    run = vv(*upload_args(standin, dash_dir), env={"VVDASH_GRAFANA_TOKEN": "glsa_not_a_valid_token"})
    assert run.code == 2
    line = _one_error_line(run)
    assert "API discovery: GET /apis" in line             # the first call that needs the credential
    assert "Grafana rejected the credential from $VVDASH_GRAFANA_TOKEN (401: Invalid API key)" in line
    assert "glsa_not_a_valid_token" not in run.out + run.err
    assert standin.writes == []


def test_folder_created_but_its_answer_lost_is_used_on_the_retry(vv, standin, dash_dir):
    """Grafana creates the folder, the proxy answers 504; the retried POST gets 409 and the run goes on."""
    standin.fail(504, "POST", "/api/folders", times=1, lose_answer=True)
    run = vv(*upload_args(standin, dash_dir))
    assert run.code == 0, run.err
    posts = [r for r in standin.writes if r.path == "/api/folders"]
    assert [(r.status, r.summary.get("grafana_status")) for r in posts] == [(504, 200), (409, None)]
    assert f"folder {FOLDER_UID} already existed when created (409)" in run.err
    assert standin.folders[FOLDER_UID]["title"] == FOLDER_TITLE
    assert len(standin.dashboards) == 5


def test_folder_title_taken_by_another_uid_is_a_one_line_error(vv, standin, dash_dir):
    standin.seed_folder("someone-elses", FOLDER_TITLE)
    run = vv(*upload_args(standin, dash_dir))
    assert run.code == 2
    line = _one_error_line(run)
    assert f"create folder {FOLDER_UID}: POST /api/folders: HTTP 409: a folder with the same name already exists" \
        in line
    assert FOLDER_UID not in standin.folders and standin.dashboards == {}


def test_token_without_folder_permission_names_the_call(vv, standin, dash_dir):
    run = vv(*upload_args(standin, dash_dir), env={"VVDASH_GRAFANA_TOKEN": VIEWER_TOKEN})
    assert run.code == 2
    line = _one_error_line(run)
    assert f"create folder {FOLDER_UID}: POST /api/folders" in line
    assert "lacks the permission this call needs" in line and "Permissions needed: folders:create" in line
    assert standin.dashboards == {}


def test_token_file(vv, standin, dash_dir, tmp_path):
    token_file = tmp_path / "token"
    token_file.write_text(EDITOR_TOKEN + "\n")
    run = vv(*upload_args(standin, dash_dir, "--token-file", token_file), env={})
    assert run.code == 0, run.err
    assert len(standin.dashboards) == 5


def test_missing_token_file(vv, standin, dash_dir, tmp_path):
    run = vv(*upload_args(standin, dash_dir, "--token-file", tmp_path / "nope"))
    assert run.code == 2
    assert f"--token-file: cannot read secret file {tmp_path / 'nope'}: " in _one_error_line(run)


def test_basic_auth_and_its_wrong_password(vv, standin, dash_dir, tmp_path):
    password = tmp_path / "password"
    password.write_text(ADMIN_PASSWORD)
    ok = vv(*upload_args(standin, dash_dir, "--username", "admin", "--password-file", password), env={})
    assert ok.code == 0, ok.err
    password.write_text("wrong-password")
    bad = vv(*upload_args(standin, dash_dir, "--username", "admin", "--password-file", password), env={})
    assert bad.code == 2
    assert "(401: Invalid username or password)" in _one_error_line(bad)


def test_inventory_token_file_reference(vv, standin, dash_dir, tmp_path):
    token_file = tmp_path / "grafana-token"
    token_file.write_text(EDITOR_TOKEN)
    data = yaml.safe_load((PROJECT_ROOT / "vvdash.yaml").read_text())
    data["grafana"].update(url=standin.url, token={"file": str(token_file)})
    inventory = tmp_path / "vvdash.yaml"
    inventory.write_text(yaml.safe_dump(data))
    run = vv("--inventory", inventory, "upload", "--dashboards", dash_dir, env={})
    assert run.code == 0, run.err
    assert len(standin.dashboards) == 5


def test_inventory_basic_auth_when_the_token_reference_is_unset(vv, standin, dash_dir, tmp_path):
    data = yaml.safe_load((PROJECT_ROOT / "vvdash.yaml").read_text())
    data["grafana"].update(url=standin.url, username="admin", password={"env": "VV_TEST_GRAFANA_PASSWORD"})
    inventory = tmp_path / "vvdash.yaml"
    inventory.write_text(yaml.safe_dump(data))
    run = vv("--inventory", inventory, "upload", "--dashboards", dash_dir,
             env={"VV_TEST_GRAFANA_PASSWORD": ADMIN_PASSWORD})     # grafana.token's GRAFANA_TOKEN is unset
    assert run.code == 0, run.err
    assert len(standin.dashboards) == 5
    missing = vv("--inventory", inventory, "upload", "--dashboards", dash_dir, env={})
    assert missing.code == 2
    assert "grafana.password: environment variable VV_TEST_GRAFANA_PASSWORD is not set" in _one_error_line(missing)


def test_missing_dashboards_folder(vv, standin, tmp_path):
    run = vv(*upload_args(standin, tmp_path / "nothing-here"))
    assert run.code == 2
    assert "dashboards folder not found" in _one_error_line(run)


# -- TLS: verification is on; --ca-bundle trusts a private CA -------------------------------------
@pytest.fixture(scope="module")
def tls_cert(tmp_path_factory):
    if not shutil.which("openssl"):
        pytest.skip("openssl not installed")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True)
    return cert, key


def test_tls_self_signed_is_refused_then_trusted_with_ca_bundle(vv, dash_dir, tls_cert):
    cert, key = tls_cert
    with GrafanaStandin(tokens={EDITOR_TOKEN: "Editor"}, certfile=str(cert), keyfile=str(key)) as server:
        assert server.url.startswith("https://")
        refused = vv(*upload_args(server, dash_dir))
        assert refused.code == 2
        line = _one_error_line(refused)
        assert "TLS verification of" in line and "certificate verify failed" in line and "--ca-bundle" in line
        assert server.dashboards == {}
        trusted = vv(*upload_args(server, dash_dir, "--ca-bundle", cert))
        assert trusted.code == 0, trusted.err
        assert len(server.dashboards) == 5


def test_missing_ca_bundle(vv, standin, dash_dir, tmp_path):
    run = vv(*upload_args(standin, dash_dir, "--ca-bundle", tmp_path / "ca.pem"))
    assert run.code == 2
    assert "--ca-bundle: CA bundle" in _one_error_line(run)


def test_plain_http_to_a_remote_host_warns(vv, dash_dir):
    # A reserved TEST-NET address: nothing answers; the warning comes before any connection.
    run = vv("upload", "--grafana-url", "http://192.0.2.1:3000", "--dashboards", dash_dir, "--timeout", "0.2",
             "--retries", "0")
    assert "plain HTTP; the credential crosses the network unencrypted" in run.err
    assert run.code == 2
