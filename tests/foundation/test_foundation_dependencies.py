"""One-way dependencies, as the import-linter contracts in pyproject.toml state them: the toolkit
never imports the bundled pipeline, dashboards/ and rules/ never import each other, and the layers
inside vvdash/ run one way. Each contract is shown to catch a planted import on a copy of the tree."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("vvdash", "pipeline", "dashboards", "rules", "shared")
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def _lint_imports(root: Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(LINT_IMPORTS), "--no-cache"], cwd=root, env={"PYTHONPATH": str(root), "PATH": "/usr/bin:/bin"},
                          capture_output=True, text=True, timeout=120)


@pytest.fixture()
def tree(tmp_path) -> Path:
    """The packages' Python files and pyproject.toml, copied (nothing else is needed to analyse imports)."""
    for package in PACKAGES:
        shutil.copytree(ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    return tmp_path


def _plant(path: Path, line: str) -> None:
    path.write_text(path.read_text() + f"\n{line}\n")


def test_the_contracts_hold_on_the_tree():
    proc = _lint_imports(ROOT)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "0 broken" in proc.stdout


@pytest.mark.parametrize("module, line, contract, shown", [
    ("vvdash/emit/serialize.py", "def _later():\n    from pipeline import storage  # noqa", "The toolkit never imports the bundled pipeline",
     "vvdash.emit.serialize -> pipeline.storage"),
    ("vvdash/catalog/model.py", "from vvdash.commands import build  # noqa", "vvdash layers run one way",
     "vvdash.catalog.model -> vvdash.commands.build"),
    ("rules/host.py", "import dashboards.host  # noqa", "Dashboards and rules never import each other",
     "rules.host -> dashboards.host"),
])
def test_a_forbidden_import_is_caught(tree, module, line, contract, shown):
    _plant(tree / module, line)
    proc = _lint_imports(tree)
    assert proc.returncode != 0
    broken = proc.stdout.split("Broken contracts", 1)[-1]
    assert contract in broken and shown in broken, proc.stdout
