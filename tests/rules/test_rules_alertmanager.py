"""The generated Alertmanager config: secrets kept out, routing and inhibitions on a real Alertmanager."""

from __future__ import annotations

import copy
import stat
import subprocess
from pathlib import Path

import pytest
import yaml

from vvdash.emit import alertmanager
from vvdash.inventory import load
from vvdash.lint import inhibitions
from vvdash.lint.run import load_route_cases
from vvdash.procs import require_binary

ROOT = Path(__file__).resolve().parents[2]
SLACK_URL = "https://hooks.example.test/services/T000/B000/very-secret"
HOOK_URL = "https://alerts.example.test/hook/secret-token-123"


@pytest.fixture
def inventory():
    return load(ROOT / "vvdash.yaml")


def _with_secret_receivers(inv, tmp_path):
    key_file = tmp_path / "pd.key"
    key_file.write_text("pd-routing-key-456\n")
    inv = copy.deepcopy(inv)
    inv["alerting"]["receivers"] += [
        {"name": "chat", "type": "slack", "api_url": {"env": "VV_TEST_SLACK_URL"}, "channel": "#vv"},
        {"name": "pager", "type": "pagerduty", "routing_key": {"file": str(key_file)}},
        {"name": "mail", "type": "email", "to": "ops@example.test", "from": "vv@example.test",
         "smarthost": "127.0.0.1:25", "auth_username": "vv", "auth_password": {"env": "VV_TEST_SMTP_PASSWORD"}},
        {"name": "hook", "type": "webhook", "url": {"env": "VV_TEST_HOOK_URL"}},
    ]
    return inv, key_file


def test_routes_by_severity_groups_by_alertname_and_site(inventory):
    conf = alertmanager.config(inventory)
    assert conf["route"]["group_by"] == ["alertname", "site"]
    routes = {r["matchers"][0]: r["receiver"] for r in conf["route"]["routes"]}
    assert routes == {'alertname="VVAlertingHeartbeat"': "heartbeat", 'severity="critical"': "paging",
                      'severity="warning"': "default", 'severity="info"': "default"}
    # The heartbeat's route comes first and repeats at its own interval (looked at every quarter).
    beat = conf["route"]["routes"][0]
    assert beat["repeat_interval"] == inventory["alerting"]["heartbeat"]["repeat_interval"] == "1m"
    assert beat["group_interval"] == "15s" and beat["group_wait"] == "0s"
    assert alertmanager.heartbeat_route({"heartbeat": {"receiver": "x", "repeat_interval": "2s"}})[
        "group_interval"] == "500ms"


def test_secrets_never_land_in_the_generated_config(inventory, tmp_path, monkeypatch):
    inv, key_file = _with_secret_receivers(inventory, tmp_path)
    monkeypatch.setenv("VV_TEST_SLACK_URL", SLACK_URL)
    monkeypatch.setenv("VV_TEST_SMTP_PASSWORD", "smtp-pass-789")
    monkeypatch.setenv("VV_TEST_HOOK_URL", HOOK_URL)
    text = yaml.safe_dump(alertmanager.config(inv))
    for secret in (SLACK_URL, "pd-routing-key-456", "smtp-pass-789", HOOK_URL, "secret-token"):
        assert secret not in text
    receivers = {r["name"]: r for r in alertmanager.config(inv)["receivers"]}
    assert receivers["chat"]["slack_configs"][0]["api_url_file"] == "secrets/VV_TEST_SLACK_URL"
    assert receivers["pager"]["pagerduty_configs"][0]["routing_key_file"] == str(key_file)
    assert receivers["mail"]["email_configs"][0]["auth_password_file"] == "secrets/VV_TEST_SMTP_PASSWORD"
    assert receivers["hook"]["webhook_configs"][0]["url"] == "http://hook.secret.invalid/webhook-url"

    # The generated form is a valid Alertmanager 0.25 config...
    generated = tmp_path / "generated.yml"
    generated.write_text(text)
    check = subprocess.run([require_binary("amtool"), "check-config", str(generated)], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    # ...and the runtime copy carries the secrets in private files only.
    runtime = tmp_path / "run"
    path = alertmanager.write_runtime(inv, runtime)
    assert HOOK_URL in path.read_text() and SLACK_URL not in path.read_text()
    assert (runtime / "secrets/VV_TEST_SLACK_URL").read_text() == SLACK_URL
    for private in (path, runtime / "secrets/VV_TEST_SLACK_URL", runtime / "secrets/VV_TEST_SMTP_PASSWORD"):
        assert stat.S_IMODE(private.stat().st_mode) == 0o600
    check = subprocess.run([require_binary("amtool"), "check-config", str(path)], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr


def test_runtime_config_names_a_missing_secret_without_writing(inventory, tmp_path, monkeypatch):
    inv, _ = _with_secret_receivers(inventory, tmp_path)
    monkeypatch.delenv("VV_TEST_HOOK_URL", raising=False)
    monkeypatch.setenv("VV_TEST_SLACK_URL", SLACK_URL)
    monkeypatch.setenv("VV_TEST_SMTP_PASSWORD", "x")
    from vvdash.errors import VVError

    with pytest.raises(VVError, match=r"alerting.receivers\[hook\].url: environment variable VV_TEST_HOOK_URL"):
        alertmanager.write_runtime(inv, tmp_path / "run")
    assert not (tmp_path / "run").exists(), "nothing is written until every secret resolved"


def test_inhibition_evaluator_follows_alertmanager_semantics():
    rules = [{"source_matchers": ['alertname="A"'], "target_matchers": ['alertname=~"B|C"'], "equal": ["site"]}]
    assert inhibitions.inhibited(rules, {"alertname": "A", "site": "x"}, {"alertname": "B", "site": "x"})
    assert not inhibitions.inhibited(rules, {"alertname": "A", "site": "x"}, {"alertname": "B", "site": "y"})
    assert not inhibitions.inhibited(rules, {"alertname": "A", "site": "x"}, {"alertname": "BB", "site": "x"})
    # A label missing on both sides counts as equal.
    assert inhibitions.inhibited(rules, {"alertname": "A"}, {"alertname": "C"})
    with pytest.raises(ValueError, match="not a matcher"):
        inhibitions.parse_matcher("alertname=A")


# Alertmanager of each generation: Debian stable's on PATH, and the fetched Debian unstable build.
GENERATIONS = {
    "0.25": lambda: require_binary("prometheus-alertmanager"),
    "0.33": lambda: str(ROOT / ".tools/debian-unstable/usr/bin/prometheus-alertmanager"),
}


@pytest.mark.parametrize("generation", sorted(GENERATIONS))
def test_inhibition_cases_hold_on_a_real_alertmanager(generation, inventory, tmp_path):
    """The cases in rules/tests/routes.yaml, posted to a real Alertmanager of each generation running
    the generated config: each inhibition mutes its case and leaves alone a second DVR, a second host
    and another site."""
    binary = GENERATIONS[generation]()
    if not Path(binary).exists():
        pytest.skip(f"Alertmanager {generation} not fetched: {binary} is missing (run `make tools`)")
    version = subprocess.run([binary, "--version"], capture_output=True, text=True)
    assert f"version {generation}" in version.stdout + version.stderr
    cases = load_route_cases()["inhibitions"]
    rules = alertmanager.config(inventory)["inhibit_rules"]
    for rule in rules:   # every inhibition has a case it mutes and one it must not
        covering = [c for c in cases if inhibitions.matches(rule["source_matchers"], c["source"])
                    and inhibitions.matches(rule["target_matchers"], c["target"])]
        assert {bool(c["inhibited"]) for c in covering} == {True, False}, rule
    config = alertmanager.write_runtime(inventory, tmp_path / "am")
    results = inhibitions.live_results(binary, config, cases, tmp_path / "run")
    wrong = [f"{case['name']}: {'muted' if muted else 'not muted'}" for case, muted in results
             if muted != bool(case["inhibited"])]
    assert not wrong, wrong
    # The Python evaluator `vvdash lint` uses agrees with the real one on every case.
    assert [inhibitions.inhibited(rules, c["source"], c["target"]) for c in cases] == [m for _, m in results]
