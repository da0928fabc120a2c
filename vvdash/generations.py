"""The two generations of Prometheus tools vvdash is proven on, and where each binary comes from.

Generation 3: Debian unstable's builds (Prometheus 3.5 LTS, Alertmanager 0.33, current
exporters), unpacked by `scripts/fetch_debian_unstable_tools.py` into the git-ignored
`.tools/debian-unstable`. Generation 2: Debian stable's packages on PATH (Prometheus 2.42,
Alertmanager 0.25). Stdlib only: the fetch script imports this module before the venv exists.
"""

from __future__ import annotations

import functools
import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from vvdash import project_folder

# Where `make tools` fetches generation 3, inside the project folder.
UNSTABLE_DIR = Path(".tools") / "debian-unstable"
UNSTABLE_BIN = UNSTABLE_DIR / "usr" / "bin"
FETCH_COMMAND = "make tools"

# The Debian unstable packages fetched, with the upstream version proven by `make test`. The fetch
# takes unstable's current build of the same release line (major.minor) and records the exact one;
# the production compose file pins these versions.
UNSTABLE_PACKAGES = {
    "prometheus": "3.5.3",
    "promtool": "3.5.3",
    "prometheus-alertmanager": "0.33.1",
    "prometheus-pushgateway": "1.11.2",
    "prometheus-node-exporter": "1.11.1",
    "prometheus-blackbox-exporter": "0.28.0",
}
# Binary -> the package that ships it (Debian stable ships promtool inside `prometheus`).
BINARIES = {
    "prometheus": "prometheus", "promtool": "promtool",
    "prometheus-alertmanager": "prometheus-alertmanager", "amtool": "prometheus-alertmanager",
    "prometheus-pushgateway": "prometheus-pushgateway",
    "prometheus-node-exporter": "prometheus-node-exporter",
    "prometheus-blackbox-exporter": "prometheus-blackbox-exporter",
}
STABLE_PACKAGE = {**BINARIES, "promtool": "prometheus"}


def proven_version(binary: str) -> str:
    """The upstream version generation 3 is proven with, for a binary."""
    return UNSTABLE_PACKAGES[BINARIES[binary]]


@dataclass(frozen=True)
class Generation:
    number: int              # 3 or 2: Prometheus' major version
    source: str              # where its binaries come from, for people
    bin_dir: Path | None     # None: PATH; relative: inside the project folder

    def directory(self) -> Path | None:
        return None if self.bin_dir is None else _in_project(self.bin_dir)

    def find(self, binary: str) -> str | None:
        folder = self.directory()
        if folder is None:
            return shutil.which(binary, path=_path_without(_in_project(UNSTABLE_BIN)))
        path = folder / binary
        return str(path) if path.is_file() and os.access(path, os.X_OK) else None

    def require(self, binary: str) -> str:
        from vvdash.errors import VVError

        path = self.find(binary)
        if path:
            return path
        if self.bin_dir is None:
            pkg = STABLE_PACKAGE.get(binary, binary)
            raise VVError(f"{binary}: binary not found; install the Debian package {pkg} (apt-get install {pkg})")
        raise VVError(f"{binary} (generation {self.number}): not in {_shown(_in_project(self.bin_dir))}; "
                      f"run `{FETCH_COMMAND}` to fetch Debian unstable's {BINARIES.get(binary, binary)}")

    def has(self, *binaries: str) -> bool:
        return all(self.find(b) for b in binaries)

    def version(self, binary: str) -> str:
        """The binary's own `--version` (e.g. 3.5.3), or '?' when it does not say."""
        return binary_version(self.require(binary))

    def label(self, binary: str) -> str:
        """`promtool 3.5.3`: how lint names the tool a step or finding ran on."""
        short = {"prometheus-alertmanager": "alertmanager"}.get(binary, binary)
        return f"{short} {self.version(binary)}"


def _path_without(folder: Path) -> str:
    return os.pathsep.join(p for p in os.environ.get("PATH", "").split(os.pathsep)
                           if p and Path(p).resolve() != folder.resolve())


def _in_project(path: Path) -> Path:
    return (project_folder.current() or Path.cwd()) / path


def _shown(path: Path) -> str:
    return project_folder.shown(path)


@functools.cache
def binary_version(path: str) -> str:
    try:
        done = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired):
        return "?"
    m = re.search(r"version (\d+\.\d+\.\d+)", done.stdout + done.stderr)
    return m.group(1) if m else "?"


GENERATIONS = {
    3: Generation(3, f"Debian unstable, fetched into {UNSTABLE_DIR}", UNSTABLE_BIN),
    2: Generation(2, "Debian stable, on PATH", None),
}
DEFAULT = 3


def generation(number: int | str) -> Generation:
    from vvdash.errors import VVError

    try:
        return GENERATIONS[int(number)]
    except (KeyError, ValueError):
        raise VVError(f"generation {number!r}: expected one of {', '.join(map(str, GENERATIONS))}") from None


def versions_report() -> list[str]:
    """One line per binary and generation: its version and where it comes from."""
    lines = []
    for gen in GENERATIONS.values():
        lines.append(f"generation {gen.number} ({gen.source}):")
        for binary in BINARIES:
            path = gen.find(binary)
            lines.append(f"  {binary:30} {binary_version(path) if path else '-':8} "
                         f"{path or 'missing' + (f' (run `{FETCH_COMMAND}`)' if gen.bin_dir else '')}")
    return lines
