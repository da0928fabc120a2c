"""Output-folder trouble is one line, exit 2, and the previous generated/ stays byte-identical.

A read-only folder and a full disk are made real with a private mount namespace (`unshare
-rm`: a read-only bind mount, a tiny tmpfs), so the tests hold for root as for anyone; they
are skipped where user namespaces are not allowed.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.helpers import run_vvdash, tree_digest
from vvdash import atomic_tree

ROOT = Path(__file__).resolve().parents[2]


def _can_unshare() -> bool:
    unshare = shutil.which("unshare")
    return bool(unshare) and subprocess.run([unshare, "-rm", "true"], capture_output=True).returncode == 0


needs_namespace = pytest.mark.skipif(not _can_unshare(), reason="user namespaces are not available")

# Runs inside the namespace: mount, build from a changed inventory, report what happened.
DRIVER = textwrap.dedent(r'''
    import hashlib, json, os, subprocess, sys
    mode, out, inventory, size = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
    def digest(folder):
        return {os.path.relpath(os.path.join(d, f), folder): hashlib.sha256(open(os.path.join(d, f), "rb").read()).hexdigest()
                for d, _, files in os.walk(folder) for f in files}
    if mode == "full":
        parent = os.path.dirname(out)
        subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", parent], check=True)
        subprocess.run([sys.executable, "-m", "vvdash", "build", "--out", out], check=True, capture_output=True)
    else:
        target = os.path.join(out, "dashboards") if mode == "ro-sub" else out
        subprocess.run(["mount", "--bind", "-o", "ro", target, target], check=True)
    before = digest(out)
    run = subprocess.run([sys.executable, "-m", "vvdash", "--inventory", inventory, "build", "--out", out],
                         capture_output=True, text=True)
    leftovers = [n for n in os.listdir(os.path.dirname(out)) if n.startswith("." + os.path.basename(out) + ".")]
    print(json.dumps({"code": run.returncode, "stderr": run.stderr, "same": digest(out) == before,
                      "files": len(before), "leftovers": leftovers}))
''')


def _changed_inventory(tmp_path) -> Path:
    path = tmp_path / "changed.yaml"
    text = (ROOT / "vvdash.yaml").read_text().replace("queue_backlog: 50", "queue_backlog: 60")
    text = text.replace("video_storage_root: var/storage", f"video_storage_root: {ROOT / 'var/storage'}")
    path.write_text(text)
    return path


def _in_namespace(tmp_path, mode: str, out: Path, size: str = "0") -> dict:
    driver = tmp_path / "driver.py"
    driver.write_text(DRIVER)
    result = subprocess.run(["unshare", "-rm", sys.executable, str(driver), mode, str(out),
                             str(_changed_inventory(tmp_path)), size],
                            cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def _one_line_exit_2(report: dict, says: str) -> None:
    lines = report["stderr"].splitlines()
    assert report["code"] == 2, report
    assert len(lines) == 1 and lines[0].startswith("vvdash: error: ") and says in lines[0], report
    assert report["same"], "the previous output changed"
    assert report["leftovers"] == [], report


@needs_namespace
def test_read_only_subfolder_leaves_everything_as_it_was(tmp_path):
    out = tmp_path / "site" / "generated"
    assert run_vvdash(["build", "--out", str(out)], ROOT).returncode == 0
    _one_line_exit_2(_in_namespace(tmp_path, "ro-sub", out), "read-only")


@needs_namespace
def test_read_only_output_folder(tmp_path):
    out = tmp_path / "site" / "generated"
    assert run_vvdash(["build", "--out", str(out)], ROOT).returncode == 0
    _one_line_exit_2(_in_namespace(tmp_path, "ro", out), "read-only")


@needs_namespace
def test_full_disk_leaves_the_previous_output(tmp_path):
    out = tmp_path / "disk" / "generated"
    out.parent.mkdir()
    used = sum(len(b) for b in tree_digest(ROOT / "generated").values())
    # Room for one generated/ (plus tmpfs's per-file overhead), not for a second one beside it.
    report = _in_namespace(tmp_path, "full", out, size=str(used + 160 * 1024))
    _one_line_exit_2(report, "No space left on device")


def test_out_is_a_file(tmp_path):
    target = tmp_path / "afile"
    target.write_text("keep")
    for args in (["build", "--out", str(target)], ["build", "--check", "--out", str(target)]):
        result = run_vvdash(args, ROOT)
        assert result.returncode == 2 and result.stderr.count("\n") == 1, result.stderr
        assert "not a folder" in result.stderr
    assert target.read_text() == "keep"


def test_out_under_a_file(tmp_path):
    (tmp_path / "afile").write_text("keep")
    result = run_vvdash(["build", "--out", str(tmp_path / "afile" / "gen")], ROOT)
    assert result.returncode == 2 and result.stderr.count("\n") == 1, result.stderr


def _files(n: int) -> dict[str, bytes]:
    return {atomic_tree_marker(): b"m\n", **{f"d{i % 3}/f{i}.txt": f"{n}-{i}\n".encode() for i in range(10)}}


def atomic_tree_marker() -> str:
    from vvdash.build import MARKER
    return MARKER


def test_swap_without_rename_exchange_and_recovery(tmp_path, monkeypatch):
    out = tmp_path / "generated"
    atomic_tree.replace_tree(out, _files(1))
    monkeypatch.setattr(atomic_tree, "exchange", lambda a, b: False)   # a filesystem without it
    atomic_tree.replace_tree(out, _files(2))
    assert tree_digest(out) == _files(2)
    # A run killed between its two renames: generated/ gone, the previous tree beside it.
    os.rename(out, tmp_path / ".generated.previous-x")
    (tmp_path / ".generated.staging-y" / "d0").mkdir(parents=True)
    atomic_tree.tidy(out)
    assert tree_digest(out) == _files(2)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["generated"]


def test_swap_replaces_the_whole_tree(tmp_path):
    out = tmp_path / "generated"
    atomic_tree.replace_tree(out, {**_files(1), "old-only.txt": b"x"})
    atomic_tree.replace_tree(out, _files(2))
    assert tree_digest(out) == _files(2)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["generated"]
    assert oct(out.stat().st_mode & 0o777) != "0o700"   # readable by the services mounting it
