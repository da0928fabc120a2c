"""Shared fixtures: a throwaway copy of the project for tests that edit definitions."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
COPIED = ("vvdash", "dashboards", "rules", "shared", "pipeline", "generated", "vvdash.yaml", "pyproject.toml")


@pytest.fixture
def project_copy(tmp_path) -> Path:
    """A copy of the project whose definitions a test may break without touching the real tree."""
    dest = tmp_path / "project"
    dest.mkdir()
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for name in COPIED:
        src = ROOT / name
        if src.is_dir():
            shutil.copytree(src, dest / name, ignore=ignore)
        elif src.exists():
            shutil.copy2(src, dest / name)
    if (ROOT / ".tools").exists():     # the fetched generation-3 tools, shared rather than copied
        (dest / ".tools").symlink_to(ROOT / ".tools")
    return dest
