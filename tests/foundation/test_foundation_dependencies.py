"""The toolkit never imports the bundled pipeline: the pipeline depends on vvdash, not back."""

import ast
from pathlib import Path

from vvdash import PROJECT_ROOT


def _imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_no_module_of_vvdash_imports_pipeline():
    offenders = [str(p.relative_to(PROJECT_ROOT)) for p in sorted((PROJECT_ROOT / "vvdash").rglob("*.py"))
                 if "pipeline" in _imports(p)]
    assert offenders == []


def test_the_check_sees_an_import_of_pipeline(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("def f():\n    from pipeline.service import reply\n")
    assert "pipeline" in _imports(bad)
