"""--project DIR: which project folder vvdash works on, and the one-line errors when there is none."""

from __future__ import annotations

import os
import re
import subprocess
import sys

from tests.helpers import PROJECT_ROOT
from vvdash import project_folder


def _vvdash(*args, cwd, env_extra=None):
    env = {k: v for k, v in os.environ.items() if k != project_folder.ENV}
    env["PYTHONPATH"] = str(PROJECT_ROOT)
    env.update(env_extra or {})
    return subprocess.run([sys.executable, "-m", "vvdash", *map(str, args)], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120)


def test_the_project_is_found_upwards_from_the_current_folder(tmp_path):
    inner = tmp_path / "a" / "b"
    inner.mkdir(parents=True)
    (tmp_path / "vvdash.yaml").write_text("version: 1\n")
    assert project_folder.find(inner) == tmp_path.resolve()
    assert project_folder.find(tmp_path.parent) != tmp_path.resolve()


def test_project_before_or_after_the_command_builds_that_folder(tmp_path):
    for args in (["--project", PROJECT_ROOT, "build", "--check"], ["build", "--check", "--project", PROJECT_ROOT]):
        done = _vvdash(*args, cwd=tmp_path)
        assert done.returncode == 0, done.stderr
        assert re.fullmatch(rf"{re.escape(str(PROJECT_ROOT / 'generated'))}: up to date \(\d+ files\)", done.stdout.strip())


def test_a_folder_without_an_inventory_is_one_line_and_exit_2(tmp_path):
    done = _vvdash("--project", tmp_path, "build", "--check", cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        f"vvdash: error: --project {tmp_path}: no vvdash.yaml in that folder (a vvdash project holds one)"]
    missing = tmp_path / "nope"
    done = _vvdash("lint", "--project", missing, cwd=tmp_path)
    assert done.returncode == 2 and done.stderr.splitlines() == [f"vvdash: error: --project {missing}: not a folder"]


def test_the_environment_names_the_project_for_child_processes(tmp_path):
    done = _vvdash("build", "--check", cwd=tmp_path, env_extra={project_folder.ENV: str(PROJECT_ROOT)})
    assert done.returncode == 0, done.stderr
    done = _vvdash("build", "--check", cwd=tmp_path, env_extra={project_folder.ENV: str(tmp_path)})
    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        f"vvdash: error: ${project_folder.ENV} {tmp_path}: no vvdash.yaml in that folder (a vvdash project holds one)"]
