"""Both generations of tools: the fetched Debian unstable builds and Debian stable's, where each
binary comes from, the compose pins, and the generated configs on both."""

from __future__ import annotations

import importlib.util
import re
import subprocess

import pytest
import yaml
from stack_helpers import ROOT, render_to

from vvdash.errors import VVError
from vvdash.generations import BINARIES, GENERATIONS, UNSTABLE_PACKAGES, Generation, proven_version

FETCH = ROOT / "scripts" / "fetch_debian_unstable_tools.py"


@pytest.fixture(scope="module")
def fetch():
    spec = importlib.util.spec_from_file_location("fetch_debian_unstable_tools", FETCH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def default_build(tmp_path_factory):
    out = tmp_path_factory.mktemp("gen")
    render_to(ROOT / "vvdash.yaml", out)
    return out


def test_generation_3_is_fetched_into_the_project_and_runs_the_proven_versions():
    gen3, gen2 = GENERATIONS[3], GENERATIONS[2]
    for binary in BINARIES:
        path = gen3.require(binary)
        assert path.startswith(str(ROOT / ".tools" / "debian-unstable" / "usr" / "bin")), path
        assert gen3.version(binary) == proven_version(binary), binary
        assert gen2.require(binary).startswith("/usr/bin/"), binary
    assert gen3.version("prometheus").startswith("3.5.") and gen3.version("amtool").startswith("0.33.")
    assert gen2.version("prometheus").startswith("2.") and gen2.version("prometheus-alertmanager").startswith("0.25.")
    # The fetch recorded what it took, package by package.
    recorded = (ROOT / ".tools" / "debian-unstable" / "VERSIONS").read_text()
    for package in UNSTABLE_PACKAGES:
        assert re.search(rf"^{package} \S+ {package}_\S+\.deb sha256:[0-9a-f]{{64}}$", recorded, re.M), package


def test_a_missing_generation_3_binary_says_how_to_fetch_it(tmp_path):
    gen = Generation(3, "test", tmp_path)
    with pytest.raises(VVError) as err:
        gen.require("promtool")
    assert str(err.value) == (f"promtool (generation 3): not in {tmp_path}; run `make tools` to fetch Debian "
                              "unstable's promtool")


def test_the_compose_file_pins_the_versions_the_stack_runs(default_build):
    services = yaml.safe_load((default_build / "compose/docker-compose.yml").read_text())["services"]
    images = {name: svc["image"] for name, svc in services.items()}
    gen3 = GENERATIONS[3]
    for service, binary in (("prometheus", "prometheus"), ("alertmanager", "prometheus-alertmanager"),
                            ("pushgateway", "prometheus-pushgateway"), ("node_exporter", "prometheus-node-exporter"),
                            ("blackbox_exporter", "prometheus-blackbox-exporter")):
        assert images[service].endswith(f":v{gen3.version(binary)}"), (service, images[service])
    assert re.fullmatch(r"prom/prometheus:v3\.5\.\d+", images["prometheus"])
    assert re.fullmatch(r"prom/alertmanager:v0\.33\.\d+", images["alertmanager"])


@pytest.mark.parametrize("number", [3, 2])
def test_the_generated_configs_are_valid_on_both_generations(default_build, number):
    gen = GENERATIONS[number]
    checks = [
        [gen.require("promtool"), "check", "config", "--lint=all", "--lint-fatal", "prometheus/prometheus.yml"],
        [gen.require("promtool"), "check", "config", "--lint=all", "--lint-fatal", "compose/prometheus/prometheus.yml"],
        [gen.require("amtool"), "check-config", "alertmanager/alertmanager.yml"],
        [gen.require("prometheus-blackbox-exporter"), "--config.check", "--config.file=blackbox/blackbox.yml"],
    ]
    for argv in checks:
        done = subprocess.run(argv, cwd=default_build, capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, f"{' '.join(argv)} ({gen.version(argv[0].rsplit('/', 1)[1])}):\n" \
                                     f"{done.stdout}{done.stderr}"
    # promtool check config checked every rule file the config names.
    done = subprocess.run(checks[0], cwd=default_build, capture_output=True, text=True, timeout=60)
    assert len(re.findall(r"SUCCESS: \d+ rules found", done.stdout + done.stderr)) >= 5


def test_the_fetch_takes_the_mirror_and_keyring_from_the_systems_sources(fetch, tmp_path, monkeypatch):
    (tmp_path / "security.sources").write_text(
        "Types: deb\nURIs: http://mirror.example/debian-security\nSuites: bookworm-security\n"
        "Components: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n")
    (tmp_path / "debian.sources").write_text(
        "# a comment\nTypes: deb deb-src\nURIs: http://mirror.example/debian\n  http://other.example/debian\n"
        "Suites: bookworm bookworm-updates\nComponents: main contrib\n"
        "Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg\n\n"
        "Types: deb\nEnabled: no\nURIs: http://disabled.example/debian\nSuites: sid\nComponents: main\n"
        "Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg\n")
    monkeypatch.setattr(fetch, "SOURCES_DIRS", (tmp_path,))
    assert fetch.debian_mirror() == ("http://mirror.example/debian", "/usr/share/keyrings/debian-archive-keyring.gpg")
    for f in tmp_path.glob("*.sources"):
        f.unlink()
    with pytest.raises(fetch.FetchError, match="no Debian archive"):
        fetch.debian_mirror()


def test_a_failed_fetch_is_one_line_naming_the_package(fetch, monkeypatch, capsys):
    """Against the package lists the fetch downloaded: a package unstable lacks, and one of another
    release line than the proven one."""
    if not (fetch.APT_DIR / "lists").is_dir():
        pytest.skip("no package lists in .tools/apt (the fetch has not run)")
    with pytest.raises(fetch.FetchError) as err:
        fetch.candidate("vvdash-no-such-package")
    assert str(err.value).startswith("vvdash-no-such-package: not found in Debian unstable")
    with pytest.raises(fetch.FetchError) as err:
        fetch.fetch("prometheus", "2.42.0", fetch.APT_DIR)
    assert re.fullmatch(r"prometheus: Debian unstable has 3\.5\.\S+, not the 2\.42\.x line vvdash is proven on "
                        r"\(vvdash/generations\.py\)", str(err.value)), err.value
    assert fetch.upstream("1:3.5.3+ds1-6") == "3.5.3" and fetch.upstream("0.33.1-5") == "0.33.1"


def test_the_fetch_does_nothing_when_every_binary_is_there():
    done = subprocess.run(["python3", str(FETCH)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and done.stdout == "" and done.stderr == "", done.stdout + done.stderr


def test_a_fetch_that_cannot_start_is_one_line_and_leaves_no_partial_folder(fetch, tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(fetch, "SOURCES_DIRS", (tmp_path / "no-sources",))
    monkeypatch.setattr(fetch, "UNSTABLE_DIR", tmp_path / "tools/debian-unstable")
    monkeypatch.setattr(fetch, "UNSTABLE_BIN", tmp_path / "tools/debian-unstable/usr/bin")
    monkeypatch.setattr(fetch, "APT_DIR", tmp_path / "tools/apt")
    monkeypatch.setattr(fetch, "LOG", tmp_path / "tools/apt/fetch.log")
    assert fetch.main() == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("fetch-debian-unstable-tools: no Debian archive"), err
    assert not (tmp_path / "tools/debian-unstable").exists()
    assert not (tmp_path / "tools/debian-unstable.partial").exists()
