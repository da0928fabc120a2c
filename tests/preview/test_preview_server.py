"""The preview server's pages and API over real HTTP, and the command's bad-input lines."""

import json
import shutil
import subprocess
import sys

import pytest
import requests

from tests.helpers import PROJECT_ROOT
from vvdash.procs import free_port
from vvdash.preview.server import PreviewServer

DASHBOARDS = PROJECT_ROOT / "generated" / "dashboards"


@pytest.fixture()
def server():
    # Nothing listens on this port: routes work without Prometheus; queries report it.
    with PreviewServer(DASHBOARDS, f"http://127.0.0.1:{free_port()}") as s:
        yield s


def shipped():
    return {json.loads(p.read_text())["uid"]: json.loads(p.read_text()) for p in DASHBOARDS.glob("*.json")}


def test_every_dashboard_at_its_grafana_url_and_uid_redirects_to_slug(server):
    for uid, model in shipped().items():
        r = requests.get(f"{server.url}/d/{uid}?from=now-1h&var-site=a", allow_redirects=False, timeout=5)
        assert r.status_code == 302
        target = server.dashboards[uid].url
        assert r.headers["Location"] == f"{target}?from=now-1h&var-site=a"
        page = requests.get(server.url + target, timeout=5)
        assert page.status_code == 200
        boot = page.text.split('<script id="boot" type="application/json">', 1)[1].split("</script>", 1)[0]
        assert json.loads(boot)["dashboard"] == model          # the JSON file as it is, nothing redrawn
    wrong_slug = requests.get(f"{server.url}/d/vv-overview/old-title", allow_redirects=False, timeout=5)
    assert wrong_slug.headers["Location"] == "/d/vv-overview/vv-overview"


def test_index_lists_dashboards_and_their_links(server):
    text = requests.get(server.url + "/", timeout=5).text
    for uid, model in shipped().items():
        assert f'href="{server.dashboards[uid].url}"' in text and model["title"] in text
    overview = text.split("VV / Overview</a>", 1)[1].split("</li>", 1)[0]
    assert "Links to:" in overview and "/d/vv-pipeline/" in overview


def test_unknown_dashboard_and_path_are_404(server):
    assert requests.get(server.url + "/d/nope", timeout=5).status_code == 404
    assert requests.get(server.url + "/public/../server.py", timeout=5).status_code == 404
    assert requests.get(server.url + "/api/dashboards/uid/nope", timeout=5).status_code == 404


def test_query_without_prometheus_is_an_error_naming_it(server):
    r = requests.post(server.url + "/api/preview/query", json={
        "from": 0, "to": 3_600_000, "maxDataPoints": 500, "vars": {},
        "queries": [{"refId": "A", "expr": "up[$__rate_interval]"}]}, timeout=10)
    res = r.json()["results"]["A"]
    assert "does not answer" in res["error"] and server.prometheus.url in res["error"]
    bad = requests.post(server.url + "/api/preview/query", data=b"{not json", timeout=5)
    assert bad.status_code == 400


def test_unsupported_variable_query_is_named(server):
    r = requests.post(server.url + "/api/preview/variable", json={"query": "series_count(up)", "from": 0, "to": 1}, timeout=5)
    assert "series_count(up)" in r.json()["error"]


def run_cli(*args, cwd=PROJECT_ROOT):
    return subprocess.run([sys.executable, "-m", "vvdash", "preview", *args], capture_output=True, text=True,
                          timeout=60, cwd=cwd)


@pytest.mark.parametrize("args,needle", [
    (["--prometheus", "localhost:9090"], "--prometheus: expected an http(s) URL"),
    (["--port", "70000", "--prometheus", "http://127.0.0.1:1"], "--port: expected 0-65535"),
    (["--dashboards", "/nonexistent/dash", "--prometheus", "http://127.0.0.1:1"], "/nonexistent/dash: no such folder"),
])
def test_bad_input_is_one_line_exit_2(args, needle):
    done = run_cli(*args)
    assert done.returncode == 2, done.stderr
    assert needle in done.stderr and len(done.stderr.strip().splitlines()) == 1 and "Traceback" not in done.stderr


def test_screenshots_into_a_file_is_one_line(tmp_path):
    (tmp_path / "f").write_text("x")
    done = run_cli("--screenshots", str(tmp_path / "f"), "--prometheus", "http://127.0.0.1:1")
    assert done.returncode == 2 and "--screenshots" in done.stderr and "Traceback" not in done.stderr
    assert (tmp_path / "f").read_text() == "x"


def test_port_in_use_is_one_line():
    import socket
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        done = run_cli("--port", str(holder.getsockname()[1]), "--prometheus", "http://127.0.0.1:1")
    assert done.returncode == 2 and "cannot listen on 127.0.0.1:" in done.stderr and "Traceback" not in done.stderr


def test_no_stack_running_is_one_line(tmp_path):
    done = run_cli("--workdir", str(tmp_path))
    assert done.returncode == 2 and "no local stack running" in done.stderr and str(tmp_path) in done.stderr


def test_broken_dashboard_file_is_named(tmp_path):
    shutil.copy(DASHBOARDS / "vv-overview.json", tmp_path / "a.json")
    (tmp_path / "b.json").write_text("{broken")
    done = run_cli("--dashboards", str(tmp_path), "--prometheus", "http://127.0.0.1:1")
    assert done.returncode == 2 and "b.json: not a dashboard JSON file" in done.stderr


def test_prometheus_not_answering_is_one_line(tmp_path):
    done = run_cli("--prometheus", f"http://127.0.0.1:{free_port()}")
    assert done.returncode == 2 and "does not answer" in done.stderr


def test_query_min_interval_forms(server):
    body = {"from": 0, "to": 3_600_000, "maxDataPoints": 1000, "vars": {"iv": {"values": ["2m"]}}}
    for interval, step in ((">30s", 30_000), ("$iv", 120_000), ("$__interval", 15_000), ("", 15_000)):
        res = server.query({**body, "queries": [{"refId": "A", "expr": "up", "interval": interval}]})["results"]["A"]
        assert "does not answer" in res["error"]          # nothing listens; the step is in the expression below
        res = server.query({**body, "queries": [{"refId": "A", "expr": "x[$__interval]", "interval": interval}]})
        assert res["results"]["A"]["expr"] == f"x[{step // 1000 if step < 60_000 else step // 60_000}{'s' if step < 60_000 else 'm'}]"


def test_credentials_in_the_prometheus_url_are_never_printed():
    done = run_cli("--prometheus", f"http://viewer:s3cret-pw@127.0.0.1:{free_port()}")
    assert done.returncode == 2 and "does not answer" in done.stderr
    assert "s3cret-pw" not in done.stderr + done.stdout and "viewer" not in done.stderr
    bad = run_cli("--prometheus", "ftp://viewer:s3cret-pw@host")
    assert bad.returncode == 2 and "s3cret-pw" not in bad.stderr


def test_bad_from_is_one_line():
    done = run_cli("--screenshots", "/tmp/unused-shots", "--from", "yesterday", "--prometheus", "http://127.0.0.1:1")
    assert done.returncode == 2 and "--from: expected now-<number>" in done.stderr
