"""A definitions module that fails while it is imported ends the build with one line naming the
module and where it failed, exit 2, nothing written: never a traceback."""

from __future__ import annotations

import pytest

from tests.helpers import run_vvdash

CASES = {
    "import error": ({"dashboards/zz_broken.py": "from dashboards._common import no_such_name\n"},
                     "dashboards/zz_broken.py: cannot import: ImportError: cannot import name 'no_such_name'",
                     "(dashboards/zz_broken.py, line 1)"),
    "syntax error": ({"rules/zz_broken.py": "def groups(inv:\n    return []\n"},
                     "rules/zz_broken.py: cannot import: SyntaxError: ", "(rules/zz_broken.py, line 1)"),
    "error in a shared piece it imports": (
        {"dashboards/zz_broken.py": "import os\nfrom dashboards._zz_piece import VALUE\n",
         "dashboards/_zz_piece.py": "import os\n\nVALUE = os.no_such_attribute\n"},
        "dashboards/zz_broken.py: cannot import: AttributeError: module 'os' has no attribute 'no_such_attribute'",
        "(dashboards/_zz_piece.py, line 3)"),
    "error in the package itself": ({"rules/tests/__init__.py": "import no_such_module_zz\n"},
                                    "rules/tests/__init__.py: cannot import: ModuleNotFoundError: "
                                    "No module named 'no_such_module_zz'", "(rules/tests/__init__.py, line 1)"),
}


@pytest.mark.parametrize("case", CASES)
def test_a_module_failing_at_import_is_one_line(case, project_copy, tmp_path):
    files, message, where = CASES[case]
    for rel, text in files.items():
        path = project_copy / rel
        path.write_text(path.read_text() + text if path.exists() else text)
    out = tmp_path / "out"
    result = run_vvdash(["build", "--out", str(out)], project_copy)
    assert result.returncode == 2, result.stdout + result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    assert lines[0].startswith(f"vvdash: error: {message}"), lines[0]
    assert lines[0].endswith(where), lines[0]
    assert not out.exists()
