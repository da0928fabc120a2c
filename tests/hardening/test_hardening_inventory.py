"""Each hostile inventory the hardening was written for: refused in one line naming the key, fast.

These are the reported cases, run through the real CLI entry point (in this process, so a hang
or a traceback shows as such); the fuzz test (test_hardening_fuzz.py) covers the many variations.
"""

from __future__ import annotations

import copy
import os
import subprocess

import pytest
import yaml

from tests.hardening.hostile_inventories import DEFAULT, DEFAULT_TEXT
from tests.hardening.inprocess import run_cli
from vvdash import inventory
from vvdash.errors import VVError
from vvdash.quoting import promql_regex_union, promql_string, template_literal



def vvdash(args) -> subprocess.CompletedProcess:
    code, stdout, stderr, crash = run_cli(args)
    assert crash is None, crash
    return subprocess.CompletedProcess(args, code, stdout, stderr)


def _write(tmp_path, mutate=None, text=None):
    path = tmp_path / "inv.yaml"
    if text is None:
        data = copy.deepcopy(DEFAULT)
        mutate(data)
        text = yaml.safe_dump(data, sort_keys=False)
    path.write_text(text)
    return path


def _refused(path, tmp_path, *names):
    result = vvdash(["--inventory", str(path), "build", "--out", str(tmp_path / "out")])
    lines = result.stderr.splitlines()
    assert result.returncode == 2, result.stdout + result.stderr
    assert len(lines) == 1 and lines[0].startswith(f"vvdash: error: {path}"), result.stderr
    for name in names:
        assert name in lines[0], lines[0]
    assert not (tmp_path / "out").exists()
    return lines[0]


def _set(path, value):
    def mutate(data):
        target = data
        for part in path[:-1]:
            target = target[part]
        target[path[-1]] = value
    return mutate


@pytest.mark.parametrize("path, value, says", [
    (["sites", 0, "storage_mountpoint"], '/", job!="INJECTED', "without quotes"),
    (["sites", 0, "storage_mountpoint"], '/"}', "without quotes"),
    (["links", "runbook_url"], "http://127.0.0.1:3000/{{7*7}}", "URL cannot hold"),
    (["thresholds", "pipeline", "min_items_per_second"], float("inf"), "not a finite number"),
    (["thresholds", "storage", "fill_free_floor_ratio"], float("nan"), "not a finite number"),
    (["thresholds", "storage", "for"], "1s1h", "units out of order"),
    (["alerting", "group_wait"], "99999999999999y", "292 years"),
    (["alerting", "repeat_interval"], "5m\n", "whitespace"),
    (["thresholds", "storage", "predict_window"], "0s", "greater than 0"),
    (["sites", 0, "name"], "local\n", "lowercase name"),
    (["sites", 0, "hosts", 0, "address"], "127.0.0.1\n", "host name or IP address"),
    (["sites", 0, "dvrs", 0, "port"], 8554.0, "not an integer"),
    (["sites", 0, "dvrs", 0, "port"], 9302, "services.orchestrator.port"),
    (["grafana", "folder_title"], "VV $GF_SECURITY_ADMIN_PASSWORD", "expand a variable"),
])
def test_reported_values_are_refused_naming_the_key(tmp_path, path, value, says):
    line = _refused(_write(tmp_path, _set(path, value)), tmp_path, inventory.key_path(path), says)
    assert "INJECTED" not in line or "got" in line   # echoed only as the offending value


def test_email_smarthost_needs_host_and_port(tmp_path):
    mail = {"name": "mail", "type": "email", "to": "ops@example.com", "from": "vv@example.com", "smarthost": "nohost"}
    path = _write(tmp_path, lambda d: d["alerting"]["receivers"].append(mail))
    index = len(DEFAULT["alerting"]["receivers"])   # appended after the shipped receivers
    _refused(path, tmp_path, f"alerting.receivers[{index}].smarthost", "host:port")


def test_inline_secret_is_named_never_shown(tmp_path):
    for value in ("SECRET-VALUE-1", {"value": "SECRET-VALUE-1"}):
        line = _refused(_write(tmp_path, _set(["pipeline", "hmac_key"], value)), tmp_path, "pipeline.hmac_key")
        assert "SECRET-VALUE-1" not in line and "not shown" in line
    line = _refused(_write(tmp_path, _set(["alerting", "receivers", 0, "url"],
                                          "http://user:SECRET-VALUE-1@127.0.0.1:9095/x")), tmp_path, "receivers[0].url")
    assert "SECRET-VALUE-1" not in line


def test_duplicate_key_names_the_key_and_both_lines(tmp_path):
    text = DEFAULT_TEXT.replace("  scrape_interval: 15s\n", "  scrape_interval: 15s\n  scrape_interval: 1m\n")
    line = _refused(_write(tmp_path, text=text), tmp_path, "prometheus.scrape_interval")
    first = DEFAULT_TEXT.splitlines().index("  scrape_interval: 15s") + 1
    assert f"duplicate key 'scrape_interval' (lines {first} and {first + 1})" in line


@pytest.mark.parametrize("mutate, key", [
    (lambda d: d["sites"][0]["dvrs"].append({**d["sites"][0]["dvrs"][0], "name": "dvr2"}), "sites[0].dvrs[1].port"),
    (lambda d: d["sites"].append({**copy.deepcopy(d["sites"][0]), "name": "other"}), "sites[1].video_storage_root"),
    (lambda d: d["sites"].append({**copy.deepcopy(d["sites"][0]), "video_storage_root": "elsewhere"}), "sites[1].name"),
])
def test_overlaps_are_refused(tmp_path, mutate, key):
    _refused(_write(tmp_path, mutate), tmp_path, key)


def test_alias_bomb_is_refused_quickly(tmp_path):
    defs = "x_defs:\n  a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n" + "".join(
        f"  a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]\n" for i in range(1, 9))
    text = DEFAULT_TEXT.replace("folder_title: VV Video AI", "folder_title: *a8").replace(
        "version: 1\n", "version: 1\n" + defs, 1)   # anchors before their use
    _refused(_write(tmp_path, text=text), tmp_path, "aliases are expanded")


def test_recursive_alias_is_refused(tmp_path):
    _refused(_write(tmp_path, text=DEFAULT_TEXT + "x_loop: &loop [*loop]\n"), tmp_path, "x_loop", "contains itself")


def test_deep_nesting_is_one_line(tmp_path):
    _refused(_write(tmp_path, text="version: 1\nsites: " + "[" * 5000 + "]" * 5000 + "\n"), tmp_path, "line 2")
    _refused(_write(tmp_path, text=DEFAULT_TEXT + "x: " + "[" * 100 + "]" * 100 + "\n"), tmp_path, "nested more than 64")


def test_a_50_mb_string_is_refused_by_size(tmp_path):
    path = tmp_path / "inv.yaml"
    with open(path, "w") as fh:
        fh.write(DEFAULT_TEXT.replace("folder_title: VV Video AI", "folder_title: "))
        fh.write("A" * 50_000_000 + "\n")
    _refused(path, tmp_path, "more than the limit of")


def test_non_regular_files_are_refused_without_reading(tmp_path):
    fifo = tmp_path / "fifo.yaml"
    os.mkfifo(fifo)
    zero = tmp_path / "zero.yaml"
    zero.symlink_to("/dev/zero")
    loop = tmp_path / "loop.yaml"
    loop.symlink_to(loop)
    folder = tmp_path / "dir.yaml"
    folder.mkdir()
    for path, says in ((fifo, "a FIFO, not a regular file"), (zero, "a character device, not a regular file"),
                       (loop, "a symlink loop"), (folder, "a directory, not a regular file")):
        _refused(path, tmp_path, says)


def test_long_integers_and_unicode_tricks_name_the_key(tmp_path):
    text = DEFAULT_TEXT.replace("queue_backlog: 50", "queue_backlog: " + "9" * 5000)
    _refused(_write(tmp_path, text=text), tmp_path, "thresholds.pipeline.queue_backlog", "characters")
    _refused(_write(tmp_path, text=DEFAULT_TEXT.replace("- name: local", "- name: lo\u200bcal")), tmp_path,
             "sites[0].name")
    path = tmp_path / "utf16.yaml"
    path.write_bytes(DEFAULT_TEXT.encode("utf-16"))
    _refused(path, tmp_path, "not UTF-8")


def test_inventory_after_the_subcommand_works(tmp_path):
    path = _write(tmp_path, _set(["thresholds", "pipeline", "queue_backlog"], 77))
    for args in (["build", "--inventory", str(path)], ["build", "-i", str(path)], ["--inventory", str(path), "build"]):
        result = vvdash([*args, "--check", "--out", str(tmp_path / "out")])
        assert result.returncode == 1, result.stderr   # a fresh folder: everything is missing
        assert "unrecognized arguments" not in result.stderr
    bad = _write(tmp_path, _set(["thresholds", "pipeline", "queue_backlog"], -1))
    result = vvdash(["build", "--inventory", str(bad), "--check"])
    assert result.returncode == 2 and "thresholds.pipeline.queue_backlog" in result.stderr


def test_durations_follow_prometheus():
    assert inventory.duration_seconds("1y2w3d4h5m6s7ms") == 31536000 + 2 * 604800 + 3 * 86400 + 4 * 3600 + 5 * 60 + 6.007
    assert inventory.duration_seconds("0") == 0
    for bad in ("1s1h", "5m\n", "1h1h", "106752d", ""):
        with pytest.raises(ValueError):
            inventory.duration_seconds(bad)


def test_quoting_keeps_values_values():
    assert promql_string('/a"b\\c') == '"/a\\"b\\\\c"'
    union = promql_regex_union(["/mnt/v.1", "/srv/a|b"])
    assert union == '"/mnt/v\\\\.1|/srv/a\\\\|b"'
    import re
    pattern = union[1:-1].encode().decode("unicode_escape")   # the string PromQL hands to RE2
    assert re.fullmatch(pattern, "/mnt/v.1") and re.fullmatch(pattern, "/srv/a|b")
    assert not re.fullmatch(pattern, "/mnt/vx1") and not re.fullmatch(pattern, "/srv/a")
    assert template_literal("http://x/{{7*7}}") == 'http://x/{{ "{{" }}7*7{{ "}}" }}'


def test_two_sites_mountpoints_become_an_exact_regex(tmp_path):
    def two(d):
        other = copy.deepcopy(d["sites"][0])
        other.update(name="b", video_storage_root="elsewhere", storage_mountpoint="/mnt/v.2")
        other["dvrs"][0]["port"] = 8555
        d["sites"].append(other)
    out = tmp_path / "out"
    result = vvdash(["--inventory", str(_write(tmp_path, two)), "build", "--out", str(out)])
    assert result.returncode == 0, result.stderr
    rules = (out / "prometheus/rules/storage.yml").read_text()
    assert 'mountpoint=~"/|/mnt/v\\\\.2"' in rules


def test_load_refuses_with_vverror_not_other_exceptions(tmp_path):
    for text in ("{", "a: [", "? [a]\n: b\n", "<<: 5\n", "x: !!python/name:os.system\n", "- &a [*a]\n"):
        path = tmp_path / "x.yaml"
        path.write_text(text)
        with pytest.raises(VVError) as exc:
            inventory.load(path)
        assert "\n" not in str(exc.value)


def test_link_annotations_print_as_they_are_even_past_the_grammar(tmp_path):
    import shutil

    from vvdash.emit.rules import rule_to_dict
    from vvdash.emit.serialize import dump_yaml
    from vvdash.project import load_project

    project = load_project()
    project.inventory["links"] = {**project.inventory.get("links", {}), "runbook_url": "http://127.0.0.1/{{ 7 * 7 }}"}
    _, _, alert = project.alerts()[0]
    rule = rule_to_dict(alert, project.inventory)
    assert rule["annotations"]["runbook_url"].startswith('http://127.0.0.1/{{ "{{" }} 7 * 7 {{ "}}" }}#')
    path = tmp_path / "rules.yml"
    path.write_bytes(dump_yaml({"groups": [{"name": "g", "rules": [rule]}]}))
    promtool = shutil.which("promtool")
    result = subprocess.run([promtool, "check", "rules", str(path)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("where, value", [
    (["grafana"], "glsa_S3CR3T"), (["alerting", "receivers", 0], "https://hooks.example.com/S3CR3T"),
    (["pipeline"], ["S3CR3T"]), (["grafana", "password"], "S3CR3T"),
])
def test_a_secret_pasted_in_the_wrong_place_is_not_shown(tmp_path, where, value):
    line = _refused(_write(tmp_path, _set(where, value)), tmp_path, inventory.key_path(where))
    assert "S3CR3T" not in line


def test_a_secret_file_given_as_the_inventory_is_not_shown(tmp_path):
    key = tmp_path / "hmac.key"
    key.write_text("S3CR3T-KEY\n")
    line = _refused(key, tmp_path, "(top level): expected a mapping, got a str")
    assert "S3CR3T" not in line
