"""`--workdir` of `stack` and `fleet`: as given (relative to the current directory), else the
default folder in the project."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from vvdash import project_folder

ROOT = Path(__file__).resolve().parents[2]


def _vvdash(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "VVDASH_PROJECT"}
    return subprocess.run([sys.executable, "-m", "vvdash", "--project", str(ROOT), *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("command, says", [
    (["stack", "down"], "nothing was running in {where}"),
    (["fleet", "status"], "{where}/fleet.json: no fleet running here"),
])
def test_a_relative_workdir_is_taken_from_the_current_directory(tmp_path, command, says):
    result = _vvdash([*command, "--workdir", "work/here"], tmp_path)
    out = result.stdout + result.stderr
    assert says.format(where=tmp_path / "work" / "here") in out, out
    assert str(ROOT / "work") not in out


def test_without_workdir_the_default_is_in_the_project(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("VVDASH_PROJECT", str(ROOT))
    assert project_folder.working_folder(None, ".fleet") == ROOT / ".fleet"
    assert project_folder.working_folder(Path("a/b"), ".fleet") == tmp_path / "a" / "b"
    assert project_folder.working_folder(tmp_path / "c", ".stack") == tmp_path / "c"
