"""Rules that depend on the inventory's shape, on a fleet inventory: VVStorageSeriesMissing with
sites on different mount points, VVJobAbsent per site. Run with promtool of both generations."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import yaml

from tests.stack.stack_helpers import fleet, render_to, write_inventory
from vvdash.procs import require_binary

ROOT = Path(__file__).resolve().parents[2]
PROMTOOLS = {
    "2.42": lambda: require_binary("promtool"),
    "3.5": lambda: str(ROOT / ".tools/debian-unstable/usr/bin/promtool"),
}
FS = 'fstype="ext4",device="/dev/sda1"'


@pytest.fixture(scope="module")
def fleet_rules(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("fleet")
    data = fleet(3)                                   # site0..site2, two hosts each
    data["sites"][1]["storage_mountpoint"] = "/srv/video"
    data["sites"][2]["dvrs"] = []
    render_to(write_inventory(tmp, data), tmp / "generated")
    return tmp / "generated/prometheus/rules"


def _series(name: str, labels: str, values: str) -> dict:
    return {"series": f"{name}{{{labels}}}", "values": values}


def _run(promtool: str, rules_dir: Path, tests: list[dict], tmp: Path) -> subprocess.CompletedProcess:
    path = tmp / "fleet_test.yml"
    path.write_text(yaml.safe_dump({"rule_files": [str(rules_dir / "storage.yml"), str(rules_dir / "platform.yml")],
                                    "evaluation_interval": "1m", "tests": tests}, sort_keys=False))
    return subprocess.run([promtool, "test", "rules", str(path)], capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("version", sorted(PROMTOOLS))
def test_each_site_is_checked_at_its_own_mount_point(version, fleet_rules, tmp_path):
    promtool = PROMTOOLS[version]()
    if not Path(promtool).exists():
        pytest.skip(f"promtool {version} not fetched: {promtool} is missing (run `make tools`)")
    series = []
    for i in range(3):
        node = f'job="node",instance="10.0.{i}.1:9100",site="site{i}"'
        series.append(_series("up", node, "1x20"))
        # Every host reports "/"; only site1's storage is meant to be at /srv/video, which it lacks.
        series.append(_series("node_filesystem_avail_bytes", f'{node},mountpoint="/",{FS}', "100e9x20"))
    firing = [{"eval_time": "15m", "alertname": "VVStorageSeriesMissing",
               "exp_alerts": [{"exp_labels": {"severity": "warning", "site": "site1"}, "exp_annotations": {
                   "summary": "The storage alerts have no filesystem to watch.",
                   "description": "node_exporter at site site1 is up but reports no filesystem at the configured "
                                  "storage_mountpoint, so the storage alerts of that site cannot fire.",
                   # Links default to the first site's first host by name.
                   "runbook_url": "http://s0-a:9096/RUNBOOK.md#vvstorageseriesmissing",
                   "dashboard_url": "http://s0-a:3000/d/vv-storage"}}]}]
    done = _run(promtool, fleet_rules, [{"name": "site1's mount point missing", "interval": "1m",
                                         "input_series": series, "alert_rule_test": firing}], tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    # Near miss: site1 reports /srv/video too; nothing is missing anywhere.
    node1 = 'job="node",instance="10.0.1.1:9100",site="site1"'
    quiet = [{"eval_time": "15m", "alertname": "VVStorageSeriesMissing", "exp_alerts": []}]
    done = _run(promtool, fleet_rules, [{
        "name": "every site has its mount point", "interval": "1m",
        "input_series": series + [_series("node_filesystem_avail_bytes", f'{node1},mountpoint="/srv/video",{FS}',
                                          "100e9x20")],
        "alert_rule_test": quiet}], tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr


def test_job_absent_is_per_site_and_knows_where_each_job_runs(fleet_rules):
    expr = next(r["expr"] for g in yaml.safe_load((fleet_rules / "platform.yml").read_text())["groups"]
                for r in g["rules"] if r.get("alert") == "VVJobAbsent")
    for site in ("site0", "site1", "site2"):
        assert f'absent(up{{job="orchestrator", site="{site}"}})' in expr
        assert f'absent(push_time_seconds{{job="cleanup_old_files", site="{site}"}})' in expr
    # The central monitoring stack carries the first site; DVR probes only where there are DVRs.
    assert 'absent(up{job="prometheus", site="site0"})' in expr and 'job="prometheus", site="site1"' not in expr
    assert 'job="blackbox_dvr", site="site1"' in expr and 'job="blackbox_dvr", site="site2"' not in expr
