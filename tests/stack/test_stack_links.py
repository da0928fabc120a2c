"""Links that open: runbook_url and dashboard_url come from the inventory's base URLs (or their
defaults), and the deployments vvdash generates serve them (compose's `runbook` service, the local
stack's link server), checked over real HTTP."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests
import yaml

from tests.helpers import alert_rules
from tests.stack.stack_helpers import base_inventory, render_to, write_inventory
from vvdash.emit import alert_links
from vvdash.emit.compose import RUNBOOK_IN_CONTAINER, RUNBOOK_SERVICE
from vvdash.inventory import load
from vvdash.http_reply import wait_ready_file
from vvdash.procs import Process, wait_http
from vvdash.stack import profile as stack_profile

ROOT = Path(__file__).resolve().parents[2]
GENERATED = ROOT / "generated"


def _alert_links(files: dict[str, bytes]) -> dict[str, tuple[str, str]]:
    return {rule["alert"]: (rule["annotations"]["runbook_url"], rule["annotations"]["dashboard_url"])
            for rule in alert_rules(files)}


def _generated_rules() -> dict[str, bytes]:
    return {p.relative_to(GENERATED).as_posix(): p.read_bytes() for p in (GENERATED / "prometheus/rules").glob("*.yml")}


def test_links_default_to_the_first_host_by_name_and_follow_the_inventory(tmp_path):
    inv = load(ROOT / "vvdash.yaml")
    host = inv.sites[0]["hosts"][0]["name"]
    assert alert_links.runbook_url(inv) == f"http://{host}:{inv['services']['runbook_server']['port']}/RUNBOOK.md"
    assert alert_links.grafana_url(inv) == f"http://{host}:{inv['services']['grafana']['port']}"
    data = base_inventory()
    data["links"] = {"grafana_url": "https://grafana.example.test/", "runbook_url": "https://ops.example.test/rb.md"}
    links = _alert_links(render_to(write_inventory(tmp_path, data), tmp_path / "out"))
    assert links["VVTargetDown"] == ("https://ops.example.test/rb.md#vvtargetdown",
                                     "https://grafana.example.test/d/vv-overview")
    # No loopback link in what vvdash.yaml generates: a notification is read elsewhere.
    for name, urls in _alert_links(_generated_rules()).items():
        for url in urls:
            assert urlsplit(url).hostname == host, (name, url)


def test_the_local_stack_inventory_alone_has_loopback_links(tmp_path):
    base = load(ROOT / "vvdash.yaml")
    ports = stack_profile.pick_ports(base, fixed=False)
    inv = stack_profile.write(base, tmp_path, ports, "test")
    assert inv["links"]["runbook_url"] == f"http://127.0.0.1:{ports['runbook_server']}/RUNBOOK.md"
    # Dashboards open in `vvdash preview`, which the stack runs where Grafana would be.
    assert inv["links"]["grafana_url"] == f"http://127.0.0.1:{ports['grafana']}"
    assert "links" not in base


@pytest.fixture(scope="module")
def linkserver(tmp_path_factory):
    """The link server as the local stack runs it, on the committed generated/ files."""
    folder = tmp_path_factory.mktemp("links")
    log, ready = folder / "linkserver.log", folder / "linkserver.port"
    proc = Process("linkserver", [sys.executable, "-m", "vvdash.linkserver", "--port", "0", "--ready-file", str(ready),
                                  "--runbook", str(GENERATED / "RUNBOOK.md"),
                                  "--dashboards", str(GENERATED / "dashboards")], log, cwd=ROOT).start()
    try:
        port = wait_ready_file(ready, proc=proc.popen)      # the port it bound itself
        wait_http(f"http://127.0.0.1:{port}/healthz", timeout=20, proc=proc.popen)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.stop()


def _on(server: str, url: str) -> str:
    parts = urlsplit(url)
    return f"{server}{parts.path}"


def test_every_alert_link_opens_at_its_section_and_dashboard(linkserver):
    links = _alert_links(_generated_rules())
    assert len(links) >= 30
    page = requests.get(f"{linkserver}/RUNBOOK.md", timeout=5)
    assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/html")
    ids = set(re.findall(r'<h2 id="([^"]+)">', page.text))
    for name, (runbook, dashboard) in links.items():
        anchor = urlsplit(runbook).fragment
        assert anchor in ids, f"{name}: {runbook} has no section with that id"
        r = requests.get(_on(linkserver, dashboard), timeout=5)
        assert r.status_code == 200, (name, dashboard)
        uid = urlsplit(dashboard).path.rsplit("/", 1)[-1]
        title = yaml.safe_load((GENERATED / f"dashboards/{uid}.json").read_text())["title"]
        assert title in r.text.replace("&amp;", "&")
    # Grafana's /d/<uid>/<slug> form opens too; an unknown uid or a path outside answers 404.
    assert requests.get(f"{linkserver}/d/vv-overview/some-slug", timeout=5).status_code == 200
    assert requests.get(f"{linkserver}/d/no-such-uid", timeout=5).status_code == 404
    assert requests.get(f"{linkserver}/d/..%2F..%2Fvvdash", timeout=5).status_code == 404
    raw = requests.get(f"{linkserver}/RUNBOOK.md?raw", timeout=5)
    assert raw.text == (GENERATED / "RUNBOOK.md").read_text()


def test_compose_serves_the_runbook_where_the_default_runbook_url_points(tmp_path):
    """The compose `runbook` service's own command, run here with its mount resolved: the
    default runbook_url's port and path answer 200."""
    compose = yaml.safe_load((GENERATED / "compose/docker-compose.yml").read_text())
    svc = compose["services"][RUNBOOK_SERVICE]
    inv = load(ROOT / "vvdash.yaml")
    url = urlsplit(alert_links.runbook_url(inv))
    assert f"{url.port}:{url.port}" in svc["ports"]
    source, target, _ = svc["volumes"][0].split(":")
    assert target == RUNBOOK_IN_CONTAINER
    mounted = (GENERATED / "compose" / source).resolve()
    assert mounted == (GENERATED / "RUNBOOK.md").resolve() and mounted.is_file()
    ready = tmp_path / "runbook.port"
    argv = [a.replace(RUNBOOK_IN_CONTAINER, str(mounted)) for a in svc["command"]]
    assert argv[:3] == ["python", "-m", "vvdash.linkserver"]
    argv = [sys.executable, *argv[1:]]
    argv[argv.index("--port") + 1] = "0"                  # any free port, reported in the ready file
    argv[argv.index("--address") + 1] = "127.0.0.1"
    proc = Process("runbook", [*argv, "--ready-file", str(ready)], tmp_path / "runbook.log", cwd=ROOT).start()
    try:
        port = wait_ready_file(ready, proc=proc.popen)
        wait_http(f"http://127.0.0.1:{port}/healthz", timeout=20, proc=proc.popen)
        r = requests.get(f"http://127.0.0.1:{port}{url.path}", timeout=5)
        assert r.status_code == 200 and 'id="vvtargetdown"' in r.text
    finally:
        proc.stop()


def test_linkserver_refuses_a_missing_runbook_in_one_line(tmp_path):
    done = subprocess.run([sys.executable, "-m", "vvdash.linkserver", "--port", "1", "--runbook",
                           str(tmp_path / "nope.md")], capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 2
    assert done.stderr.strip() == f"linkserver: --runbook {tmp_path / 'nope.md'}: no such file"


def test_markdown_page_keeps_every_heading_as_an_anchor():
    from vvdash.linkserver import markdown_page

    page = markdown_page("## VVDvrDown\n\n*Sum.*\n\n- `a` <b>\n\n```promql\nup == 0\n```\n", "t")
    assert '<h2 id="vvdvrdown">VVDvrDown</h2>' in page
    assert "<li><code>a</code> &lt;b&gt;</li>" in page and "<pre><code>\nup == 0\n</code></pre>" in page
