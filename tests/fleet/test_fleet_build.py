"""The inventory's `fleet` section and what the build makes of it: per-site Prometheus configs,
the ruler's rules and their promtool tests, checked with both Prometheus generations."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
import yaml

from vvdash import catalog
from vvdash.build import build, default_out
from vvdash.errors import VVError
from vvdash.generations import GENERATIONS
from vvdash.inventory import load

from tests.fleet.conftest import fleet_data
from tests.helpers import run_vvdash


def _write(tmp_path, edit) -> Path:
    data = fleet_data()
    edit(data)
    path = tmp_path / "vvdash.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def test_without_fleet_the_build_is_the_committed_one():
    result = build(None, out=default_out(), check=True)
    assert not result.changed, (result.stale, result.missing, result.extra)
    assert not any(p.startswith(("fleet/", "kubernetes/")) for p in result.files)


@pytest.mark.parametrize(("edit", "message"), [
    (lambda d: d.pop("fleet"), "sites[0].prometheus: only meaningful with a fleet section"),
    (lambda d: d["fleet"]["store"].update(auth={"bearer_token": "s3cr3t-token"}), "fleet.store.auth"),
    (lambda d: d["fleet"]["store"].update(auth={"bearer_token": {"file": "relative/token"}}), "fleet.store.auth"),
    (lambda d: d["fleet"]["store"].update(write_url="https://user:pw@store.example.org/api/v1/receive"),
     "fleet.store.write_url"),
    (lambda d: d["fleet"]["queue"].update(min_shards=30), "fleet.queue.min_shards: must not exceed"),
    (lambda d: d["fleet"]["queue"].update(min_backoff="1m"), "fleet.queue.min_backoff: must not exceed"),
    (lambda d: d["fleet"].update(silent_after="15s"), "fleet.silent_after: must be longer than"),
    (lambda d: d["sites"][1].update(prometheus="proxy"), "sites[1].prometheus: expected one of server, agent"),
    (lambda d: d["fleet"].update(alertmanagers=["am:99999"]), "fleet.alertmanagers[0]"),
])
def test_bad_fleet_settings_are_one_line_naming_the_key(tmp_path, edit, message):
    with pytest.raises(VVError) as err:
        load(_write(tmp_path, edit))
    text = str(err.value)
    assert message in text and "\n" not in text
    assert "s3cr3t" not in text and "pw@" not in text


def _site(out: Path, name: str) -> dict:
    return yaml.safe_load((out / f"fleet/sites/{name}/prometheus.yml").read_text())


def test_site_configs_ship_with_site_label_and_the_catalog_only(fleet_out, fleet_inventory):
    inv = load(fleet_inventory)
    for site in inv.sites:
        cfg = _site(fleet_out, site["name"])
        assert cfg["global"]["external_labels"] == {"site": site["name"]}
        rw = cfg["remote_write"][0]
        assert rw["url"] == inv["fleet"]["store"]["write_url"]
        assert rw["headers"] == {"THANOS-TENANT": "vv-fleet"}
        assert rw["authorization"]["credentials_file"] == "/etc/prometheus/secrets/store-token"
        assert rw["queue_config"]["max_shards"] == 20 and rw["queue_config"]["min_shards"] == 1
        targets = [t for job in cfg["scrape_configs"] for g in job["static_configs"] for t in g["targets"]]
        own = {h["address"] for h in site["hosts"]} | {d["address"] for d in site["dvrs"]}
        assert all(any(a in t for a in own) for t in targets), targets
        assert "alertmanager" not in [j["job_name"] for j in cfg["scrape_configs"]]
        keep = re.compile(rw["write_relabel_configs"][0]["regex"])   # Prometheus anchors the regex
        names = set(catalog.load().series)
        assert all(keep.fullmatch(n) for n in names)
        for dropped in ("go_goroutines", "stage:vv_pipeline_items:rate5m", "prometheus_tsdb_head_series",
                        "vv_videos_processed_total_extra"):
            assert not keep.fullmatch(dropped)


def test_server_sites_alert_locally_and_agents_do_not(fleet_out):
    server, agent = _site(fleet_out, "site3"), _site(fleet_out, "site2")
    assert server["rule_files"] == ["rules/*.yml"]
    assert server["alerting"]["alertmanagers"][0]["static_configs"][0]["targets"] == [
        "alertmanager-0.example.org:9093", "alertmanager-1.example.org:9093"]
    assert "rule_files" not in agent and "alerting" not in agent
    assert not (fleet_out / "fleet/sites/site2/rules").exists()
    local = {r["alert"] for f in (fleet_out / "fleet/sites/site3/rules").glob("*.yml")
             for g in yaml.safe_load(f.read_text())["groups"] for r in g["rules"] if "alert" in r}
    assert {"VVStorageAlmostFull", "VVDvrDisconnected", "VVPipelineStalled"} <= local
    assert not local & {"VVPipelineErrorBudgetBurn", "VVAlertingHeartbeat", "VVSummarizerFailures"}
    # The ruler evaluates the same site-local alerts (the only evaluation for agent sites).
    ruler = {r.get("alert") for f in (fleet_out / "fleet/ruler").glob("site-*.yml")
             for g in yaml.safe_load(f.read_text())["groups"] for r in g["rules"]}
    assert local <= ruler


def _gens():
    return [pytest.param(g, id=f"prometheus{g.number}") for g in GENERATIONS.values()]


@pytest.mark.parametrize("gen", _gens())
def test_promtool_accepts_configs_rules_and_tests(fleet_out, fleet_inventory, gen):
    promtool = gen.find("promtool")
    if not promtool:
        pytest.skip(f"no promtool of generation {gen.number} ({gen.source})")
    inv = load(fleet_inventory)
    for site in inv.sites:
        cfg = fleet_out / f"fleet/sites/{site['name']}/prometheus.yml"
        agent = ["--agent"] if site.get("prometheus") == "agent" else []
        done = subprocess.run([promtool, "check", "config", "--syntax-only", *agent, str(cfg)],
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stdout + done.stderr
    if_agent = fleet_out / "fleet/sites/local/prometheus.yml"     # a server config is no agent config
    done = subprocess.run([promtool, "check", "config", "--syntax-only", "--agent", str(if_agent)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode != 0 and "agent mode" in done.stdout + done.stderr
    rules = sorted(map(str, (fleet_out / "fleet").glob("**/rules/*.yml"))) + sorted(
        map(str, (fleet_out / "fleet/ruler").glob("*.yml")))
    done = subprocess.run([promtool, "check", "rules", *rules], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    done = subprocess.run([promtool, "test", "rules", str(fleet_out / "fleet/tests/fleet.yml")],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr


def _render_fleet_rules(inv, out: Path) -> Path:
    """Only the ruler's fleet file and its tests (what a build writes there), without a whole build."""
    from vvdash.definitions import load_fleet_rules
    from vvdash.emit.rules import rule_file_dict
    from vvdash.emit.serialize import dump_yaml
    from vvdash.fleet import rule_tests

    (out / "ruler").mkdir(parents=True)
    (out / "tests").mkdir()
    (out / "ruler/fleet.yml").write_bytes(dump_yaml(rule_file_dict(load_fleet_rules(inv)[0], inv)))
    (out / "tests/fleet.yml").write_bytes(rule_tests.render_tests(inv))
    return out / "tests/fleet.yml"


@pytest.mark.parametrize("settings", [{"silent_after": "5m", "silent_for": "10m"},
                                      {"silent_after": "1m", "silent_for": "0s"},
                                      {"silent_after": "45s", "silent_for": "15s", "sites": 1}])
def test_silent_tests_follow_the_inventory(tmp_path, settings):
    promtool = GENERATIONS[2].find("promtool") or GENERATIONS[3].find("promtool")
    settings = dict(settings)
    sites = settings.pop("sites", None)

    def edit(d):
        d["fleet"].update(settings)
        if sites:
            d["sites"] = d["sites"][:sites]
    inv = load(_write(tmp_path, edit))
    test = _render_fleet_rules(inv, tmp_path / "fleet")
    done = subprocess.run([promtool, "test", "rules", str(test)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr


def test_silent_tests_catch_a_rule_that_never_fires(fleet_out, tmp_path):
    """A ruler file whose site-silent alert waits far longer than the inventory says fails its tests."""
    promtool = GENERATIONS[2].find("promtool") or GENERATIONS[3].find("promtool")
    work = tmp_path / "fleet"
    (work / "ruler").mkdir(parents=True)
    (work / "tests").mkdir()
    rules = yaml.safe_load((fleet_out / "fleet/ruler/fleet.yml").read_text())
    for g in rules["groups"]:
        for r in g["rules"]:
            if r.get("alert") == "VVFleetSiteSilent":
                r["for"] = "1h"
    (work / "ruler/fleet.yml").write_text(yaml.safe_dump(rules))
    (work / "tests/fleet.yml").write_text((fleet_out / "fleet/tests/fleet.yml").read_text())
    done = subprocess.run([promtool, "test", "rules", str(work / "tests/fleet.yml")],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode != 0 and "VVFleetSiteSilent" in done.stdout + done.stderr


def test_fleet_dashboard_and_runbook_only_with_fleet(fleet_out):
    import json

    assert "dashboards/vv-fleet.json" not in build(None, out=default_out(), check=True).files
    model = json.loads((fleet_out / "dashboards/vv-fleet.json").read_text())
    table = next(p for p in model["panels"] if p["title"] == "Sites")
    urls = [link["url"] for link in table["fieldConfig"]["defaults"]["links"]]
    assert "/d/vv-overview?var-site=${__data.fields.site}&${__url_time_range}" in urls
    exprs = [t["expr"] for t in table["targets"]]
    assert all("site:vv_fleet_" in e and 'site=~"$site"' in e for e in exprs)
    runbook = (fleet_out / "RUNBOOK.md").read_text()
    assert "## VVFleetSiteSilent" in runbook and "## VVFleetErrorBudgetBurn" in runbook


def test_fleet_up_without_thanos_is_one_line(monkeypatch, tmp_path):
    from vvdash.fleet_stack import runtime

    monkeypatch.setattr(runtime, "THANOS_BIN", tmp_path / "no-thanos")
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.delenv(runtime.THANOS_ENV, raising=False)
    with pytest.raises(VVError, match="make fleet-tools"):
        runtime.Fleet(tmp_path / "fleet").up(1)
    assert not (tmp_path / "fleet").exists()          # nothing started, nothing written


def test_fleet_is_a_command(project_copy):
    """`vvdash fleet status` where no fleet runs: the command is registered, and says so in one line."""
    done = run_vvdash(["fleet", "status", "--workdir", "no-fleet-here"], project_copy)
    assert done.returncode == 2, done.stdout + done.stderr
    assert done.stderr.strip() == (f"vvdash: error: {project_copy / 'no-fleet-here' / 'fleet.json'}: no fleet running "
                                   "here (start one with `vvdash fleet up`)")
