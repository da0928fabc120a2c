"""Helpers shared by tests: run the CLI against a copy of the project, digest a folder."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import yaml

# The checkout the tests run in: vvdash.yaml, dashboards/, rules/ and generated/.
PROJECT_ROOT = Path(__file__).resolve().parent.parent


def run_vvdash(args: list[str], cwd: Path, timeout: float = 120) -> subprocess.CompletedProcess:
    """`python -m vvdash ARGS` with `cwd`'s copy of the code first on the import path."""
    env = {**os.environ, "PYTHONPATH": str(cwd)}
    return subprocess.run([sys.executable, "-m", "vvdash", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=timeout)


def tree_digest(path: Path) -> dict[str, bytes]:
    return {str(p.relative_to(path)): p.read_bytes() for p in sorted(path.rglob("*")) if p.is_file()}


def alert_rules(files: dict[str, bytes]):
    """Every alerting rule (a dict as written) in rendered files' prometheus/rules/."""
    for path, content in files.items():
        if path.startswith("prometheus/rules/"):
            for group in yaml.safe_load(content)["groups"]:
                yield from (rule for rule in group["rules"] if "alert" in rule)
