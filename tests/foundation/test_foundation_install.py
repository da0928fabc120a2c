"""vvdash installed (not editable) works on a project folder given by --project, without the
pipeline's extra: the definitions come from the project, not from site-packages."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from tests.helpers import PROJECT_ROOT

# What a source distribution of vvdash holds: the packages pip installs and what pyproject names.
SOURCES = ("pyproject.toml", "README.md", "LICENSE", "vvdash", "pipeline")


def _run(argv, cwd: Path, timeout: float = 300) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VVDASH_PROJECT", "VIRTUAL_ENV")}
    return subprocess.run([str(a) for a in argv], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)


def test_an_installed_vvdash_builds_the_project_named_by_project(tmp_path):
    source = tmp_path / "source"
    source.mkdir()
    for name in SOURCES:
        src = PROJECT_ROOT / name
        if src.is_dir():
            shutil.copytree(src, source / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        elif src.exists():
            shutil.copy2(src, source / name)
    venv = tmp_path / "venv"
    base = getattr(sys, "_base_executable", sys.executable)
    made = _run([base, "-m", "venv", venv], tmp_path)
    assert made.returncode == 0, made.stderr
    py = venv / "bin" / "python"
    installed = _run([py, "-m", "pip", "install", "-q", "--disable-pip-version-check", str(source)], tmp_path)
    assert installed.returncode == 0, installed.stdout + installed.stderr

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    where = _run([py, "-c", "import vvdash, importlib.util as u; print(vvdash.__file__); "
                            "print([m for m in ('dashboards', 'rules', 'cv2', 'numpy') if u.find_spec(m)])"], elsewhere)
    assert where.returncode == 0, where.stderr
    package_file, present = where.stdout.splitlines()
    assert Path(package_file).is_relative_to(venv), package_file       # the installed copy, not the checkout
    assert present == "[]", f"installed without the pipeline extra, yet found: {present}"

    check = _run([venv / "bin" / "vvdash", "--project", PROJECT_ROOT, "build", "--check"], elsewhere)
    assert check.returncode == 0, check.stdout + check.stderr
    assert "up to date" in check.stdout

    version = _run([venv / "bin" / "vvdash", "--version"], elsewhere)
    assert version.stdout.strip() == f"vvdash {_version()}"

    lost = _run([venv / "bin" / "vvdash", "build", "--check"], elsewhere)
    assert lost.returncode == 2
    assert lost.stderr.strip().splitlines() == [
        f"vvdash: error: no vvdash project in {elsewhere.resolve()} or a folder above it (no vvdash.yaml); "
        "run vvdash in one, or pass --project DIR"]


def _version() -> str:
    import vvdash

    return vvdash.__version__


def test_build_and_lint_never_import_the_pipeline_dependencies():
    code = ("import sys; from vvdash import cli; cli._parser(); "
            "from vvdash.build import build; from vvdash.lint.run import lint_all; from vvdash.project import load_project; "
            "load_project(); print(sorted(m for m in sys.modules if m.split('.')[0] in ('cv2', 'numpy', 'pipeline')))")
    done = _run([sys.executable, "-c", code], PROJECT_ROOT, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
