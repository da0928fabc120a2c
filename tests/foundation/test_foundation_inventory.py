"""The inventory: the shipped default loads; each kind of mistake is one line naming file and key."""

from __future__ import annotations

import copy

import pytest
import yaml

from tests.helpers import PROJECT_ROOT
from vvdash import inventory
from vvdash.errors import VVError

DEFAULT = yaml.safe_load((PROJECT_ROOT / "vvdash.yaml").read_text())


def _error_for(tmp_path, mutate) -> str:
    data = copy.deepcopy(DEFAULT)
    mutate(data)
    path = tmp_path / "inv.yaml"
    path.write_text(yaml.safe_dump(data))
    with pytest.raises(VVError) as exc:
        inventory.load(path)
    message = str(exc.value)
    assert "\n" not in message
    return message


def test_shipped_default_loads_and_answers_lookups():
    inv = inventory.load()
    assert inv.sites[0]["name"] == "local"
    assert inv.service_url("orchestrator") == "http://127.0.0.1:9302"
    assert inv.storage_root().is_absolute()
    assert inventory.duration_seconds(inv.thresholds("storage")("fill_critical_horizon")) == 4 * 3600


@pytest.mark.parametrize("mutate, expected", [
    (lambda d: d["sites"][0]["dvrs"][0].__setitem__("port", "abc"),
     "sites[0].dvrs[0].port: expected an integer 1-65535, got 'abc'"),
    (lambda d: d["sites"][0]["dvrs"][0].__setitem__("port", 70000),
     "sites[0].dvrs[0].port: expected an integer 1-65535, got 70000"),
    (lambda d: d["thresholds"]["storage"].__setitem__("fill_warning_horizon", "one day"),
     "thresholds.storage.fill_warning_horizon: expected a Prometheus duration"),
    (lambda d: d["grafana"].__setitem__("token", "glsa_inline_secret"),
     "grafana.token: expected a secret reference {env: NAME} or {file: PATH}"),
    (lambda d: d["sites"][0].pop("tvs"), "sites[0].tvs: missing required key"),
    (lambda d: d["sites"][0]["dvrs"][0].__setitem__("prot", 1), "sites[0].dvrs[0].prot: unknown key"),
    (lambda d: d["alerting"]["routes"].__setitem__("critical", "nobody"),
     "alerting.routes.critical: expected one of the receivers"),
    (lambda d: d["sites"][0]["tvs"].append({"id": "tv1"}), "sites[0].tvs[2].id: duplicate id 'tv1'"),
    (lambda d: d["services"]["orchestrator"].__setitem__("port", 9301),
     "services.orchestrator.port: port 9301 is already used by agent_dvr"),
    (lambda d: d["alerting"]["receivers"][0].__setitem__("url", "https://hooks.example.com/secret-path"),
     "alerting.receivers[0].url: expected a secret reference"),
])
def test_each_mistake_is_one_line_naming_file_and_key(tmp_path, mutate, expected):
    message = _error_for(tmp_path, mutate)
    assert message.startswith(f"{tmp_path / 'inv.yaml'}: ")
    assert expected in message


def test_inline_secret_value_is_not_echoed_for_secret_refs(tmp_path):
    message = _error_for(tmp_path, lambda d: d["pipeline"].__setitem__("hmac_key", {"value": "s3cr3t"}))
    assert "pipeline.hmac_key" in message


def test_yaml_syntax_error_names_the_line(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("version: 1\nsites: [\n  - name: x\n")
    with pytest.raises(VVError, match=r"bad.yaml: line \d+: invalid YAML"):
        inventory.load(path)


def test_missing_file(tmp_path):
    with pytest.raises(VVError, match="inventory file not found"):
        inventory.load(tmp_path / "nope.yaml")


def test_resolve_secret_from_env_and_file(tmp_path, monkeypatch):
    monkeypatch.setenv("VV_TEST_SECRET", "abc")
    assert inventory.resolve_secret({"env": "VV_TEST_SECRET"}, "x") == "abc"
    key = tmp_path / "key"
    key.write_text("from-file\n")
    assert inventory.resolve_secret({"file": str(key)}, "x") == "from-file"
    monkeypatch.delenv("VV_TEST_SECRET")
    with pytest.raises(VVError, match="VV_TEST_SECRET is not set"):
        inventory.resolve_secret({"env": "VV_TEST_SECRET"}, "pipeline.hmac_key")


def test_relative_secret_file_is_read_from_the_inventory_folder(tmp_path, monkeypatch):
    data = copy.deepcopy(DEFAULT)
    data["pipeline"]["hmac_key"] = {"file": "secrets/hmac.key"}
    folder = tmp_path / "site"
    (folder / "secrets").mkdir(parents=True)
    (folder / "secrets/hmac.key").write_text("k3y\n")
    (folder / "vvdash.yaml").write_text(yaml.safe_dump(data))
    monkeypatch.chdir(tmp_path)  # elsewhere: the current folder must not matter
    inv = inventory.load(folder / "vvdash.yaml")
    assert inv.secret(inv["pipeline"]["hmac_key"], "pipeline.hmac_key") == "k3y"
    from pipeline.signing import load_key
    assert load_key(inv) == b"k3y"
