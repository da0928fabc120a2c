#!/usr/bin/env python3
"""Fetch Debian unstable's Prometheus 3.5 / Alertmanager 0.33 / exporter builds into .tools/.

Does nothing when every binary is there. Otherwise: `apt-get update` and `apt-get download`
against a private source list (the system's own Debian mirror and archive keyring, suite
unstable) whose lists and cache live under .tools/apt, then `dpkg -x` of each .deb into
.tools/debian-unstable. Nothing is installed and the system's apt configuration is untouched.
Each package must be of the release line vvdash is proven on; the exact versions fetched are
written to .tools/debian-unstable/VERSIONS. A failure is one line naming the package, exit 1.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from vvdash import generations  # noqa: E402
from vvdash.generations import BINARIES, UNSTABLE_PACKAGES  # noqa: E402

UNSTABLE_DIR = ROOT / generations.UNSTABLE_DIR
UNSTABLE_BIN = ROOT / generations.UNSTABLE_BIN

APT_DIR = ROOT / ".tools" / "apt"
LOG = APT_DIR / "fetch.log"
SOURCES_DIRS = (Path("/etc/apt/sources.list.d"),)
SUITE = "unstable"
# apt's extra index targets (AppStream metadata, icons): not needed to download packages.
NO_EXTRA_INDEXES = [f"Acquire::IndexTargets::deb::{t}::DefaultEnabled=false"
                    for t in ("DEP-11", "DEP-11-icons", "DEP-11-icons-small", "DEP-11-icons-hidpi",
                              "Contents-deb", "Contents-udeb")]


class FetchError(Exception):
    pass


def _shown(path: Path) -> str:
    try:
        return str(path.relative_to(ROOT))
    except ValueError:
        return str(path)


def _deb822(text: str) -> list[dict[str, str]]:
    """The stanzas of a .sources file (deb822): field -> value, continuation lines joined."""
    stanzas, current, key = [], {}, None
    for line in text.splitlines() + [""]:
        if line.startswith("#"):
            continue
        if not line.strip():
            if current:
                stanzas.append(current)
            current, key = {}, None
        elif line[0].isspace() and key:
            current[key] += " " + line.strip()
        elif ":" in line:
            key, value = line.split(":", 1)
            key = key.strip().lower()
            current[key] = value.strip()
    return stanzas


def debian_mirror() -> tuple[str, str]:
    """(archive URI, keyring) of the system's Debian archive: the first deb source for `main`
    signed with a Debian archive keyring that is not the security archive."""
    for folder in SOURCES_DIRS:
        for path in sorted(folder.glob("*.sources")):
            for st in _deb822(path.read_text(errors="replace")):
                if st.get("enabled", "yes").lower() == "no" or "deb" not in st.get("types", "").split():
                    continue
                keyring = st.get("signed-by", "")
                suites = st.get("suites", "").split()
                if ("main" not in st.get("components", "").split() or "debian-archive" not in keyring
                        or not suites or any(s.endswith("-security") for s in suites)):
                    continue
                uri = st.get("uris", "").split()
                if uri:
                    return uri[0].rstrip("/"), keyring
    raise FetchError("no Debian archive (a deb822 source for main signed by a debian-archive keyring) in "
                     f"{', '.join(str(d) + '/*.sources' for d in SOURCES_DIRS)}")


def apt_options() -> list[str]:
    lists, cache = APT_DIR / "lists", APT_DIR / "cache"
    opts = {
        "Dir::Etc::sourcelist": str(APT_DIR / "sources.list"),
        "Dir::Etc::sourceparts": "-",
        "Dir::State::Lists": str(lists),
        "Dir::Cache": str(cache),
        "Dir::Cache::archives": str(cache / "archives"),
    }
    if os.geteuid() == 0:
        # Downloads into a folder the unprivileged _apt user cannot write: no sandbox drop.
        opts["APT::Sandbox::User"] = "root"
    argv = []
    for key, value in opts.items():
        argv += ["-o", f"{key}={value}"]
    for opt in NO_EXTRA_INDEXES:
        argv += ["-o", opt]
    return argv


def _run(argv: list[str], cwd: Path | None = None) -> subprocess.CompletedProcess:
    done = subprocess.run(argv, cwd=cwd, capture_output=True, text=True)
    with LOG.open("a") as log:
        log.write(f"$ {' '.join(argv)}\n{done.stdout}{done.stderr}(exit {done.returncode})\n")
    return done


def _last_error(done: subprocess.CompletedProcess) -> str:
    lines = [ln.strip() for ln in (done.stderr + done.stdout).splitlines() if ln.strip()]
    errors = [ln for ln in lines if ln.startswith(("E:", "W:", "N:", "dpkg"))] or lines or [f"exit {done.returncode}"]
    return errors[0]


def update_lists(uri: str, keyring: str) -> None:
    for sub in ("lists/partial", "cache/archives/partial"):
        (APT_DIR / sub).mkdir(parents=True, exist_ok=True)
    (APT_DIR / "sources.list").write_text(f"deb [signed-by={keyring}] {uri} {SUITE} main\n")
    done = _run(["apt-get", *apt_options(), "-q", "update"])
    if done.returncode != 0 or "W: " in done.stderr and "not signed" in done.stderr:
        raise FetchError(f"apt-get update of Debian {SUITE} from {uri} failed: {_last_error(done)}")


def candidates(packages: list[str]) -> dict[str, str]:
    """package -> the version apt would take, for all of them with one apt-cache run."""
    done = _run(["apt-cache", *apt_options(), "show", "--no-all-versions", *packages])
    found = dict(re.findall(r"^Package: (\S+)\n(?:.+\n)*?Version: (\S+)", done.stdout, re.M))
    for package in packages:
        if package not in found:
            raise FetchError(f"{package}: not found in Debian {SUITE}'s package lists")
    return found


def candidate(package: str) -> str:
    return candidates([package])[package]


def upstream(debian_version: str) -> str:
    """3.5.3+ds1-6 -> 3.5.3 (no epoch, no Debian revision or repack suffix)."""
    return re.sub(r"^\d+:", "", debian_version).split("-")[0].split("+")[0].split("~")[0]


def line(version: str) -> str:
    return ".".join(version.split(".")[:2])


def check_line(package: str, version: str, proven: str) -> None:
    if line(upstream(version)) != line(proven):
        raise FetchError(f"{package}: Debian {SUITE} has {version}, not the {line(proven)}.x line vvdash is "
                         f"proven on (vvdash/generations.py)")


def download(versions: dict[str, str], debs: Path) -> dict[str, Path]:
    """Every package in one apt-get run; when that fails, one at a time, to name the culprit."""
    def debs_of() -> dict[str, Path]:
        return {p: found[-1] for p in versions if (found := sorted(debs.glob(f"{p}_*.deb")))}

    done = _run(["apt-get", *apt_options(), "-q", "download", *(f"{p}={v}" for p, v in versions.items())], cwd=debs)
    got = debs_of()
    if done.returncode == 0 and len(got) == len(versions):
        return got
    for package, version in versions.items():
        if package in got:
            continue
        one = _run(["apt-get", *apt_options(), "-q", "download", f"{package}={version}"], cwd=debs)
        if one.returncode != 0 or package not in debs_of():
            raise FetchError(f"{package}: apt-get download {package}={version} failed: {_last_error(one)}")
    return debs_of()


def fetch(package: str, proven: str, debs: Path) -> tuple[str, Path]:
    """One package: its candidate checked against the proven line, downloaded into `debs`."""
    version = candidate(package)
    check_line(package, version, proven)
    return version, download({package: version}, debs)[package]


def main() -> int:
    missing = [b for b in BINARIES if not (UNSTABLE_BIN / b).is_file()]
    if not missing:
        return 0
    for tool in ("apt-get", "apt-cache", "dpkg"):
        if not shutil.which(tool):
            print(f"fetch-debian-unstable-tools: {tool} not found: this fetch needs Debian's apt and dpkg",
                  file=sys.stderr)
            return 1
    APT_DIR.mkdir(parents=True, exist_ok=True)
    LOG.write_text("")
    print(f"fetching Debian {SUITE}'s {', '.join(UNSTABLE_PACKAGES)} into {_shown(UNSTABLE_DIR)} "
          f"(missing: {', '.join(missing)})", flush=True)
    staging = UNSTABLE_DIR.with_name(UNSTABLE_DIR.name + ".partial")
    debs = APT_DIR / "debs"
    try:
        uri, keyring = debian_mirror()
        update_lists(uri, keyring)
        shutil.rmtree(debs, ignore_errors=True)
        debs.mkdir(parents=True)
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir(parents=True)
        record = []
        versions = candidates(list(UNSTABLE_PACKAGES))
        for package, proven in UNSTABLE_PACKAGES.items():
            check_line(package, versions[package], proven)
        files = download(versions, debs)
        for package, deb in files.items():
            version = versions[package]
            done = _run(["dpkg", "-x", str(deb), str(staging)])
            if done.returncode != 0:
                raise FetchError(f"{package}: dpkg -x {deb.name} failed: {_last_error(done)}")
            sha = hashlib.sha256(deb.read_bytes()).hexdigest()
            record.append(f"{package} {version} {deb.name} sha256:{sha}")
        for binary, package in BINARIES.items():
            if not (staging / "usr/bin" / binary).is_file():
                raise FetchError(f"{package}: its .deb has no usr/bin/{binary}")
        (staging / "VERSIONS").write_text(f"# Debian {SUITE} from {uri}, fetched by "
                                          f"scripts/fetch_debian_unstable_tools.py\n" + "\n".join(record) + "\n")
        shutil.rmtree(UNSTABLE_DIR, ignore_errors=True)
        os.replace(staging, UNSTABLE_DIR)
    except FetchError as exc:
        shutil.rmtree(staging, ignore_errors=True)
        print(f"fetch-debian-unstable-tools: {exc} (log: {_shown(LOG)}); "
              "Debian stable's tools on PATH still work: use --generation 2 / --prometheus 2", file=sys.stderr)
        return 1
    shutil.rmtree(debs, ignore_errors=True)
    for entry in record:
        print("  " + " ".join(entry.split()[:2]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
