"""Scrape config, blackbox config and production compose: rendered from the inventory, checked by
promtool and blackbox_exporter, and consistent with each other."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from stack_helpers import (ROOT, base_inventory, fleet, port, render_to, scrape_addresses, target_groups,
                           write_inventory)

from vvdash.emit import compose, prometheus_config
from vvdash.emit.alertmanager import placeholder_url
from vvdash.emit.serialize import GENERATED_HEADER
from vvdash.errors import VVError
from vvdash.jobs import BLACKBOX_SELF_JOB, JOB, PIPELINE_SERVICES
from vvdash.procs import require_binary


@pytest.fixture(scope="module")
def default_build(tmp_path_factory):
    out = tmp_path_factory.mktemp("gen")
    render_to(base_inventory_path(tmp_path_factory), out)
    return out


def base_inventory_path(factory):
    return write_inventory(factory.mktemp("inv"), base_inventory())


def promtool_check(config):
    return subprocess.run([require_binary("promtool"), "check", "config", str(config.name)], cwd=config.parent,
                          capture_output=True, text=True, timeout=60)


def test_promtool_accepts_the_scrape_config_and_its_rule_files(default_build):
    done = promtool_check(default_build / prometheus_config.CONFIG_PATH)
    assert done.returncode == 0, done.stdout + done.stderr
    # The rule_files glob found the generated rules (promtool checks each one it names).
    rule_files = sorted(p.name for p in (default_build / "prometheus/rules").glob("*.yml"))
    assert rule_files and all(f"rules/{name}" in done.stdout for name in rule_files)


def test_blackbox_exporter_accepts_its_config(default_build):
    done = subprocess.run([require_binary("prometheus-blackbox-exporter"), "--config.check",
                           f"--config.file={default_build / prometheus_config.BLACKBOX_PATH}"],
                          capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    modules = yaml.safe_load((default_build / prometheus_config.BLACKBOX_PATH).read_text())["modules"]
    assert set(prometheus_config.PROBE_MODULE.values()) == set(modules)


def test_one_job_per_component_named_from_jobs_and_a_site_on_every_target(default_build):
    config = yaml.safe_load((default_build / prometheus_config.CONFIG_PATH).read_text())
    groups = target_groups(default_build / prometheus_config.CONFIG_PATH)
    names = [job["job_name"] for job in config["scrape_configs"]]
    assert len(names) == len(set(names))
    expected = {JOB[s] for s in PIPELINE_SERVICES} | {JOB[c] for c in (
        "node_exporter", "blackbox_exporter", "pushgateway", "prometheus", "alertmanager")} | {BLACKBOX_SELF_JOB}
    assert set(names) == expected           # cAdvisor and nginx exporter are disabled in vvdash.yaml
    for name, job_groups in groups.items():
        assert job_groups, name
        for group in job_groups:
            assert group["labels"]["site"] == "local", (name, group)
    pushgateway = next(j for j in config["scrape_configs"] if j["job_name"] == JOB["pushgateway"])
    assert pushgateway["honor_labels"] is True
    assert sum(1 for j in config["scrape_configs"] if j.get("honor_labels")) == 1
    assert config["rule_files"] == ["rules/*.yml"]
    alertmanagers = config["alerting"]["alertmanagers"][0]["static_configs"][0]["targets"]
    assert alertmanagers == [f"127.0.0.1:{port('alertmanager')}"]
    assert config["global"]["scrape_interval"] == base_inventory()["prometheus"]["scrape_interval"]


def test_each_dvr_is_probed_with_its_module_and_relabelled_the_usual_way(tmp_path):
    out = tmp_path / "gen"
    render_to(write_inventory(tmp_path, fleet(2)), out)
    config = yaml.safe_load((out / prometheus_config.CONFIG_PATH).read_text())
    probe = next(j for j in config["scrape_configs"] if j["job_name"] == JOB["blackbox_exporter"])
    assert probe["metrics_path"] == "/probe"
    assert [(r["source_labels"], r["target_label"]) for r in probe["relabel_configs"]] == [
        (["__address__"], "__param_target"), (["__param_target"], "instance"),
        ([prometheus_config.EXPORTER_LABEL], "__address__")]
    by_target = {g["targets"][0]: g["labels"] for g in probe["static_configs"]}
    assert by_target["http://10.0.1.50:8554/live"] == {
        "site": "site1", "dvr": "cam1", "__param_module": "dvr_http",
        # the site's own exporter, on its first host
        prometheus_config.EXPORTER_LABEL: f"10.0.1.1:{port('blackbox_exporter')}"}
    assert by_target["10.0.0.51:554"]["__param_module"] == "dvr_tcp"
    assert len(by_target) == 4
    node = target_groups(out / prometheus_config.CONFIG_PATH)[JOB["node_exporter"]]
    node_port = port("node_exporter")
    assert {t for g in node for t in g["targets"]} == {f"10.0.{i}.{h}:{node_port}" for i in (0, 1) for h in (1, 2)}
    assert promtool_check(out / prometheus_config.CONFIG_PATH).returncode == 0


def test_many_sites_move_targets_into_file_sd_files_promtool_accepts(tmp_path):
    out = tmp_path / "gen"
    files = render_to(write_inventory(tmp_path, fleet(prometheus_config.FILE_SD_MIN_SITES)), out)
    config_path = out / prometheus_config.CONFIG_PATH
    config = yaml.safe_load(config_path.read_text())
    by_name = {j["job_name"]: j for j in config["scrape_configs"]}
    assert "file_sd_configs" in by_name[JOB["agent_dvr"]] and "static_configs" not in by_name[JOB["agent_dvr"]]
    assert "static_configs" in by_name[JOB["prometheus"]]       # central jobs stay static
    target_files = sorted(p for p in files if p.startswith(prometheus_config.TARGETS_DIR))
    assert f"{prometheus_config.TARGETS_DIR}/{JOB['blackbox_exporter']}.json" in target_files
    sites = {g["labels"]["site"] for g in target_groups(config_path)[JOB["orchestrator"]]}
    assert sites == {f"site{i}" for i in range(prometheus_config.FILE_SD_MIN_SITES)}
    done = promtool_check(config_path)
    assert done.returncode == 0, done.stdout + done.stderr
    # Below the threshold nothing is written there.
    small = tmp_path / "small"
    assert not any(p.startswith(prometheus_config.TARGETS_DIR)
                   for p in render_to(write_inventory(tmp_path, fleet(1), "one.yaml"), small))


def test_optional_exporters_only_when_enabled(tmp_path):
    data = base_inventory()
    data["services"]["cadvisor"]["enabled"] = True
    data["services"]["nginx_exporter"]["enabled"] = True
    out = tmp_path / "gen"
    render_to(write_inventory(tmp_path, data), out)
    addresses = scrape_addresses(out / prometheus_config.CONFIG_PATH)
    assert addresses[JOB["cadvisor"]] == {f"127.0.0.1:{port('cadvisor')}"}
    assert addresses[JOB["nginx_exporter"]] == {f"127.0.0.1:{port('nginx_exporter')}"}
    assert promtool_check(out / prometheus_config.CONFIG_PATH).returncode == 0


def test_same_inventory_renders_byte_identical_configs(tmp_path):
    inv = write_inventory(tmp_path, fleet(5))
    assert render_to(inv, tmp_path / "a") == render_to(inv, tmp_path / "b")


# -- production compose ------------------------------------------------------------------

def _container_ports(service: dict) -> set[int]:
    ports = {int(p) for p in service.get("expose", [])}
    ports |= {int(str(p).rsplit(":", 1)[-1]) for p in service.get("ports", [])}
    return ports


def test_every_compose_scrape_target_is_a_compose_service_and_port(default_build):
    compose_file = yaml.safe_load((default_build / compose.COMPOSE_PATH).read_text())
    services = compose_file["services"]
    config_path = default_build / compose.PROMETHEUS_PATH
    checked = 0
    for job, addresses in scrape_addresses(config_path).items():
        for address in addresses:
            host, port = address.rsplit(":", 1)
            assert host in services, f"job {job}: {address}: no compose service {host}"
            assert int(port) in _container_ports(services[host]), f"job {job}: {host} does not listen on {port}"
            checked += 1
    config = yaml.safe_load(config_path.read_text())
    for address in config["alerting"]["alertmanagers"][0]["static_configs"][0]["targets"]:
        host, port = address.rsplit(":", 1)
        assert int(port) in _container_ports(services[host])
    assert checked >= len(PIPELINE_SERVICES) + 6
    assert JOB["cadvisor"] in scrape_addresses(config_path)     # Docker is there, so cAdvisor is scraped
    assert set(PIPELINE_SERVICES) <= set(services)
    assert {"prometheus", "alertmanager", "grafana", "cadvisor", "node_exporter", "pushgateway",
            "blackbox_exporter"} <= set(services)


def test_every_file_compose_mounts_is_generated(default_build):
    compose_dir = default_build / "compose"
    compose_file = yaml.safe_load((compose_dir / "docker-compose.yml").read_text())
    named_volumes = set(compose_file["volumes"])
    mounted = []
    for name, service in compose_file["services"].items():
        for volume in service.get("volumes", []):
            source = volume.split(":", 1)[0]
            if source in named_volumes or source.startswith("/"):
                continue      # data volumes and host paths (/proc, the Docker socket)
            path = (compose_dir / source).resolve()
            assert path.is_relative_to(default_build.resolve()), f"{name}: {source} is outside generated/"
            assert path.exists(), f"{name}: mounts {source}, which the build does not write"
            mounted.append(source)
    assert "./prometheus/prometheus.yml" in mounted and "../prometheus/rules" in mounted
    assert promtool_check(compose_dir / "prometheus/prometheus.yml").returncode == 0


def test_compose_inventory_is_valid_and_addresses_services_by_name(default_build):
    from vvdash.inventory import load

    inv = load(default_build / compose.INVENTORY_PATH)
    assert inv.service_url("scan_video") == f"http://scan_video:{port('scan_video')}"
    assert str(inv.storage_root()) == compose.VIDEO_ROOT


def test_no_secret_lands_in_the_compose_stack(tmp_path, monkeypatch):
    data = base_inventory()
    data["alerting"]["receivers"].append({"name": "chat", "type": "slack", "channel": "#vv",
                                          "api_url": {"env": "VV_SLACK_URL"}})
    data["grafana"]["password"] = {"env": "GRAFANA_ADMIN_PASSWORD"}
    secret_values = {"VV_HMAC_KEY": "hmac-3f9a1c", "VV_SLACK_URL": "https://chat.invalid/hook/77b2",
                     "GRAFANA_ADMIN_PASSWORD": "pw-c81e"}
    for key, value in secret_values.items():
        monkeypatch.setenv(key, value)
    out = tmp_path / "gen"
    files = render_to(write_inventory(tmp_path, data), out)
    for rel, content in files.items():
        for value in secret_values.values():
            assert value.encode() not in content, f"{rel} holds a secret"
    compose_file = yaml.safe_load(files[compose.COMPOSE_PATH])
    assert compose_file["secrets"]["VV_SLACK_URL"] == {"environment": "VV_SLACK_URL"}
    assert compose_file["secrets"]["hmac_key"] == {"environment": "VV_HMAC_KEY"}
    assert "secrets" not in compose_file["services"]["alertmanager"]     # the init service resolves them
    assert "VV_SLACK_URL" in compose_file["services"][compose.AM_INIT_SERVICE]["secrets"]
    grafana_env = compose_file["services"]["grafana"]["environment"]
    assert grafana_env["GF_SECURITY_ADMIN_PASSWORD__FILE"].startswith("/run/secrets/")


def test_compose_grafana_gets_the_dashboards_and_a_datasource_at_the_prometheus_service(default_build):
    compose_file = yaml.safe_load((default_build / compose.COMPOSE_PATH).read_text())
    volumes = compose_file["services"]["grafana"]["volumes"]
    datasource_dir = next(v.split(":")[0] for v in volumes if v.split(":")[1].endswith("/datasources"))
    source = yaml.safe_load(next((default_build / "compose" / datasource_dir).glob("*.yaml")).read_text())
    assert source["datasources"][0]["url"] == f"http://prometheus:{port('prometheus')}"
    provider_dir = next(v.split(":")[0] for v in volumes if v.split(":")[1].endswith("provisioning/dashboards"))
    provider = yaml.safe_load(next((default_build / "compose" / provider_dir).glob("*.yaml")).read_text())
    dashboards_mount = next(v for v in volumes if v.startswith("../dashboards:"))
    assert dashboards_mount.split(":")[1] == provider["providers"][0]["options"]["path"]
    assert list((default_build / "dashboards").glob("*.json"))


def _calls(module_path, function: str) -> bool:
    tree = ast.parse(module_path.read_text())
    return any(isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", None)) == function
               for node in ast.walk(tree))


def _secret_names(service: dict) -> set[str]:
    return {s if isinstance(s, str) else s["source"] for s in service.get("secrets", [])}


def test_every_pipeline_service_that_loads_the_hmac_key_gets_it_as_a_compose_secret(default_build):
    from vvdash.inventory import load

    pipeline_dir = ROOT / "pipeline"
    # Read from the services' code, not from the list compose uses: a new caller of load_key fails here.
    needs_key = {name for name in PIPELINE_SERVICES if _calls(pipeline_dir / f"{name}.py", "load_key")}
    assert {"logline_generator", "tv_scheduler"} <= needs_key
    services = yaml.safe_load((default_build / compose.COMPOSE_PATH).read_text())["services"]
    has_key = {name for name in PIPELINE_SERVICES if compose.HMAC_SECRET in _secret_names(services[name])}
    assert has_key == needs_key, "services that load the HMAC key and services given it differ"
    # Short syntax: compose mounts it at /run/secrets/<name>, the file the compose inventory names.
    inv = load(default_build / compose.INVENTORY_PATH)
    assert inv["pipeline"]["hmac_key"] == {"file": f"{compose.SECRETS_IN_CONTAINER}/{compose.HMAC_SECRET}"}


@pytest.fixture
def secret_receivers(tmp_path):
    """A build whose receivers keep every secret out of vvdash.yaml, and the secret values."""
    data = base_inventory()
    data["alerting"]["receivers"] += [
        {"name": "page-hook", "type": "webhook", "url": {"env": "VV_PAGE_HOOK_URL"}},
        {"name": "chat", "type": "slack", "channel": "#vv", "api_url": {"env": "VV_SLACK_URL"}},
        {"name": "pager", "type": "pagerduty", "routing_key": {"file": "/etc/vv/pagerduty-key"}},
    ]
    data["alerting"]["routes"]["critical"] = "page-hook"
    values = {"VV_PAGE_HOOK_URL": "https://hooks.example.invalid/page/5d1e",
              "VV_SLACK_URL": "https://chat.example.invalid/hook/77b2", "PAGER_ROUTING_KEY": "pd-90af"}
    out = tmp_path / "gen"
    render_to(write_inventory(tmp_path, data), out)
    return out, values


def test_every_secret_a_compose_service_uses_is_declared_and_every_declared_one_used(secret_receivers):
    out, values = secret_receivers
    compose_file = yaml.safe_load((out / compose.COMPOSE_PATH).read_text())
    declared = compose_file["secrets"]
    used = set()
    for name, service in compose_file["services"].items():
        missing = _secret_names(service) - set(declared)
        assert not missing, f"{name} uses undeclared secrets {missing}"
        used |= _secret_names(service)
    assert used == set(declared)
    assert _secret_names(compose_file["services"][compose.AM_INIT_SERVICE]) == set(values)
    assert declared["VV_PAGE_HOOK_URL"] == {"environment": "VV_PAGE_HOOK_URL"}
    assert declared["PAGER_ROUTING_KEY"] == {"file": "/etc/vv/pagerduty-key"}


def test_alertmanager_reads_its_config_from_the_volume_the_init_service_fills(secret_receivers):
    out, _ = secret_receivers
    services = yaml.safe_load((out / compose.COMPOSE_PATH).read_text())["services"]
    am, init = services["alertmanager"], services[compose.AM_INIT_SERVICE]
    assert am["depends_on"][compose.AM_INIT_SERVICE] == {"condition": "service_completed_successfully"}
    config_file = next(a.split("=", 1)[1] for a in am["command"] if a.startswith("--config.file="))
    # The folder holding Alertmanager's config is a named volume the init service writes at --out.
    am_mount = next(v.split(":") for v in am["volumes"] if config_file.startswith(v.split(":")[1] + "/"))
    init_mounts = {v.split(":")[0]: v.split(":")[1:] for v in init["volumes"]}
    assert init_mounts[am_mount[0]] == [am_mount[1]], "the init service does not write that volume (read-write)"
    args = init["command"]
    assert args[args.index("--out") + 1] == am_mount[1]
    assert args[args.index("--owner") + 1] == am["user"]     # Alertmanager can read what it is handed
    assert "alertmanager-config" in args
    assert not any(v.startswith(compose.GEN) for v in am["volumes"]), "Alertmanager mounts a generated/ file"


def _run_init_command(out, tmp_path, secrets_dir, env_extra=None):
    """The init service's command from the compose file, its container paths mapped into tmp_path."""
    init = yaml.safe_load((out / compose.COMPOSE_PATH).read_text())["services"][compose.AM_INIT_SERVICE]
    paths = {compose.INVENTORY_IN_CONTAINER: str(out / compose.INVENTORY_PATH),
             compose.AM_RUNTIME_DIR: str(tmp_path / "runtime"), compose.SECRETS_IN_CONTAINER: str(secrets_dir),
             init["command"][init["command"].index("--owner") + 1]: f"{os.getuid()}:{os.getgid()}"}
    argv = [paths.get(a, a) for a in init["command"]]
    assert argv[:3] == ["python", "-m", "vvdash"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("VV_")}
    return subprocess.run([sys.executable, *argv[1:]], capture_output=True, text=True, timeout=60, cwd=ROOT,
                          env={**env, **(env_extra or {})})


def test_the_init_service_writes_a_config_amtool_accepts_with_the_real_secrets(secret_receivers, tmp_path):
    out, values = secret_receivers
    secrets_dir = tmp_path / "run-secrets"
    secrets_dir.mkdir()
    init = yaml.safe_load((out / compose.COMPOSE_PATH).read_text())["services"][compose.AM_INIT_SERVICE]
    for name in init["secrets"]:                      # compose mounts only the secrets the service lists
        if name != "VV_SLACK_URL":                    # that one comes from the environment
            (secrets_dir / name).write_text(values[name] + "\n")
    stale = tmp_path / "runtime/secrets/VV_OLD_RECEIVER"
    stale.parent.mkdir(parents=True)
    stale.write_text("left from an earlier run")
    done = _run_init_command(out, tmp_path, secrets_dir, {"VV_SLACK_URL": values["VV_SLACK_URL"]})
    assert done.returncode == 0, done.stderr
    runtime = tmp_path / "runtime"
    config_path = runtime / compose.RUNTIME_CONFIG
    checked = subprocess.run([require_binary("amtool"), "check-config", str(config_path)],
                             capture_output=True, text=True, timeout=30)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    config = yaml.safe_load(config_path.read_text())
    by_name = {r["name"]: r for r in config["receivers"]}
    assert by_name["page-hook"]["webhook_configs"][0]["url"] == values["VV_PAGE_HOOK_URL"]
    assert placeholder_url("page-hook") not in config_path.read_text()
    slack_file = runtime / by_name["chat"]["slack_configs"][0]["api_url_file"]
    pager_file = runtime / by_name["pager"]["pagerduty_configs"][0]["routing_key_file"]
    assert slack_file.read_text() == values["VV_SLACK_URL"] and pager_file.read_text() == values["PAGER_ROUTING_KEY"]
    for private in (config_path, slack_file, pager_file):
        assert private.stat().st_mode & 0o077 == 0, f"{private} is readable by others"
    assert not stale.exists()
    for value in values.values():
        assert value not in done.stdout + done.stderr


def test_the_init_service_names_a_missing_secret_and_writes_nothing(secret_receivers, tmp_path):
    out, _ = secret_receivers
    done = _run_init_command(out, tmp_path, tmp_path / "empty")
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "alerting.receivers[page-hook].url" in done.stderr
    assert "VV_PAGE_HOOK_URL" in done.stderr
    assert not (tmp_path / "runtime").exists()


def test_compose_header_warns_about_loopback_webhooks_only_when_there_are_some(tmp_path):
    from vvdash.inventory import load

    data = base_inventory()
    data["alerting"]["receivers"] = [
        {"name": "local-hook", "type": "webhook", "url": "http://127.0.0.1:9095/alerts"},
        {"name": "named-local", "type": "webhook", "url": "http://localhost:9095/page"},
        {"name": "remote", "type": "webhook", "url": {"env": "VV_REMOTE_HOOK_URL"}},
    ]
    data["alerting"]["routes"] = {"critical": "remote", "warning": "local-hook", "info": "named-local"}
    data["alerting"]["heartbeat"]["receiver"] = "remote"
    header = compose.compose_header(load(write_inventory(tmp_path, data)))
    assert "local-hook (http://127.0.0.1:9095/alerts)" in header and "named-local" in header
    assert "remote" not in header
    data["alerting"]["receivers"] = data["alerting"]["receivers"][2:]
    data["alerting"]["routes"] = {"critical": "remote", "warning": "remote", "info": "remote"}
    assert compose.compose_header(load(write_inventory(tmp_path, data, "quiet.yaml"))) == GENERATED_HEADER


def _compose_for(tmp_path, data) -> dict:
    from vvdash.inventory import load

    return compose.compose_file(load(write_inventory(tmp_path, data)))


def test_grafana_admin_password_comes_from_the_inventory_reference(tmp_path):
    data = base_inventory()
    data["grafana"].pop("password", None)
    default = _compose_for(tmp_path, data)
    assert default["secrets"][compose.GRAFANA_PASSWORD_SECRET] == {"environment": compose.GRAFANA_PASSWORD_ENV}
    data["grafana"].update(username="admin", password={"env": "VV_GRAFANA_ADMIN_PW"})
    from_env = _compose_for(tmp_path, data)
    assert from_env["secrets"][compose.GRAFANA_PASSWORD_SECRET] == {"environment": "VV_GRAFANA_ADMIN_PW"}
    grafana = from_env["services"]["grafana"]
    assert grafana["secrets"] == [compose.GRAFANA_PASSWORD_SECRET]
    # Compose mounts a short-syntax secret at SECRETS_IN_CONTAINER/<name>: Grafana reads that file.
    assert grafana["environment"]["GF_SECURITY_ADMIN_PASSWORD__FILE"] == (
        f"{compose.SECRETS_IN_CONTAINER}/{compose.GRAFANA_PASSWORD_SECRET}")


def test_a_relative_secret_file_is_taken_from_the_inventory_folder_everywhere(tmp_path, monkeypatch):
    from vvdash.inventory import load, resolve_secret

    project = tmp_path / "site-config"
    (project / "secrets").mkdir(parents=True)
    (project / "secrets/grafana-admin").write_text("pw-4410\n")
    (project / "secrets/hmac").write_text("hmac-9e2b\n")
    data = base_inventory()
    data["grafana"].update(username="admin", password={"file": "secrets/grafana-admin"})
    data["pipeline"]["hmac_key"] = {"file": "secrets/hmac"}
    inv = load(write_inventory(project, data))
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)               # not the inventory's folder
    assert resolve_secret(data["grafana"]["password"], "grafana.password", inv.path.parent) == "pw-4410"
    assert resolve_secret({"file": str(project / "secrets/hmac")}, "x", inv.path.parent) == "hmac-9e2b"
    secrets = compose.compose_file(inv)["secrets"]
    assert secrets[compose.GRAFANA_PASSWORD_SECRET] == {"file": str(project / "secrets/grafana-admin")}
    assert secrets[compose.HMAC_SECRET] == {"file": str(project / "secrets/hmac")}
    # Without a folder, as before: the working folder.
    with pytest.raises(VVError, match="cannot read secret file secrets/hmac"):
        resolve_secret(data["pipeline"]["hmac_key"], "pipeline.hmac_key")


def test_one_loopback_rule_for_the_inventory_compose_and_upload(tmp_path):
    from vvdash.inventory import is_loopback, load
    from vvdash.ship import connection

    assert all(is_loopback(h) for h in ("localhost", "127.0.0.1", "127.0.0.2", "::1"))
    assert not any(is_loopback(h) for h in ("10.0.0.1", "grafana.internal", "", None, "::2"))
    assert connection.is_loopback is is_loopback
    data = base_inventory()
    data["alerting"]["receivers"][0]["url"] = "http://127.0.0.2:9095/alerts"    # inline: on this machine
    inv = load(write_inventory(tmp_path, data))
    assert "http://127.0.0.2:9095/alerts" in compose.compose_header(inv)     # and compose warns about it
    data["alerting"]["receivers"][0]["url"] = "http://10.0.0.7:9095/alerts"
    with pytest.raises(VVError, match=r"alerting\.receivers\[0\]\.url: expected a secret reference"):
        load(write_inventory(tmp_path, data, "remote.yaml"))


# -- the vvdash image (no Docker engine here: the build itself is not run) ---------------------------

def _on_vvdash_image(services: dict) -> dict:
    return {name: svc for name, svc in services.items() if "VVDASH_IMAGE" in svc["image"]}


def test_every_service_on_the_vvdash_image_builds_it_from_the_repository_dockerfile(default_build):
    from vvdash.build import default_out
    services = yaml.safe_load((default_build / compose.COMPOSE_PATH).read_text())["services"]
    ours = _on_vvdash_image(services)
    assert set(ours) == {compose.AM_INIT_SERVICE, compose.RUNBOOK_SERVICE, *PIPELINE_SERVICES}
    for name, svc in ours.items():
        assert svc["image"] == compose.PIPELINE_IMAGE, name
        # The compose file lives in generated/compose/: its build context must be the repository.
        context = (default_out() / "compose" / svc["build"]["context"]).resolve()
        assert context == ROOT.resolve(), (name, svc["build"])
        assert (context / svc["build"]["dockerfile"]).is_file(), (name, svc["build"])
    assert not any("build" in svc for name, svc in services.items() if name not in ours)


def _dockerfile_copies() -> list[str]:
    sources = []
    for line in (ROOT / "Dockerfile").read_text().splitlines():
        words = line.split()
        if words and words[0] == "COPY" and not any(w.startswith("--from") for w in words):
            sources += words[1:-1]
    return sources


def test_every_command_on_the_vvdash_image_runs_a_module_the_image_installs(default_build):
    import fnmatch
    import tomllib

    from vvdash.cli import _parser
    includes = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]["find"]["include"]
    copied = {Path(s).name for s in _dockerfile_copies()}
    services = yaml.safe_load((default_build / compose.COMPOSE_PATH).read_text())["services"]
    for name, svc in _on_vvdash_image(services).items():
        command = svc["command"]
        assert command[:2] == ["python", "-m"], (name, command)
        module = command[2]
        package = module.split(".")[0]
        assert any(fnmatch.fnmatch(package, pattern) for pattern in includes), f"{name}: {package} is not installed"
        assert package in copied, f"{name}: the Dockerfile does not copy {package}/"
        if module == "vvdash":          # the CLI: a registered command, with arguments it accepts
            try:
                args = _parser().parse_args(command[3:])
            except SystemExit:
                pytest.fail(f"{name}: `vvdash {' '.join(command[3:])}` is not a valid vvdash command line")
            assert getattr(args, "func", None), (name, command)
            continue
        source = ROOT / (module.replace(".", "/") + ".py")
        assert source.is_file(), f"{name}: {module}: no {source.relative_to(ROOT)}"
        tree = ast.parse(source.read_text())
        assert any(isinstance(node, ast.If) and "__main__" in ast.unparse(node.test) for node in tree.body), \
            f"{name}: {module} does nothing under `python -m`"


def test_the_dockerfile_copies_what_pip_needs_and_dockerignore_keeps_it():
    import fnmatch
    import tomllib

    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    sources = _dockerfile_copies()
    ignored = [line.strip() for line in (ROOT / ".dockerignore").read_text().splitlines()
               if line.strip() and not line.startswith("#")]
    for source in sources:
        assert (ROOT / source).exists(), source
        assert not any(fnmatch.fnmatch(source.lstrip("./"), pattern) for pattern in ignored), source
    for needed in ("pyproject.toml", pyproject["project"]["readme"]):
        assert needed in sources, needed
    packages = {p.name for p in ROOT.iterdir() if (p / "__init__.py").is_file()}
    for pattern in pyproject["tool"]["setuptools"]["packages"]["find"]["include"]:
        for package in fnmatch.filter(packages, pattern):
            assert any(Path(s).name == package for s in sources), f"the Dockerfile does not copy {package}/"
    lines = (ROOT / "Dockerfile").read_text().splitlines()
    assert [line.split()[1] for line in lines if line.startswith("FROM ")][-1] == "python:3.11-slim"
    user = [line.split()[1] for line in lines if line.startswith("USER ")]
    assert user and user[-1] not in ("root", "0", "0:0")
    assert not any("[dev]" in line for line in lines)
    for private in (".venv", ".stack", ".tools", "var", "generated", "vvdash.yaml", ".git"):
        assert private in ignored, private
