"""Build generated/: load the definitions, check them, render every emitter, write atomically.

Nothing is written until every definition loaded and every check passed, so a failed
build leaves generated/ as it was. `check=True` writes nothing and reports stale files.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from vvdash import PROJECT_ROOT
from vvdash.check import Finding
from vvdash.emit import emitters
from vvdash.errors import VVError
from vvdash.project import Project, load_project

DEFAULT_OUT = PROJECT_ROOT / "generated"
MARKER = ".vvdash-generated"   # only a folder holding this marker has its extra files removed


@dataclass
class BuildResult:
    files: dict[str, bytes]
    written: list[str] = field(default_factory=list)
    stale: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    extra: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.stale or self.missing or self.extra)


def build_checks(project: Project) -> list[Finding]:
    """Every check that gates a build (each module in vvdash/check with `check_project`)."""
    import importlib
    import pkgutil

    import vvdash.check as check_pkg

    findings: list[Finding] = []
    for info in sorted(pkgutil.iter_modules(check_pkg.__path__), key=lambda i: i.name):
        module = importlib.import_module(f"vvdash.check.{info.name}")
        if getattr(module, "GATES_BUILD", True) and hasattr(module, "check_project"):
            findings += module.check_project(project)
    return sorted(set(findings))


def render(project: Project) -> dict[str, bytes]:
    files: dict[str, bytes] = {MARKER: b"Files here are written by `python -m vvdash build`.\n"}
    for name, emit in emitters():
        for path, content in emit(project).items():
            if path in files:
                raise VVError(f"emitter {name}: {path} is also written by another emitter")
            files[path] = content
    return files


def _existing(out: Path) -> set[str]:
    if not out.is_dir():
        return set()
    return {str(p.relative_to(out)) for p in out.rglob("*") if p.is_file()}


def _write_atomic(path: Path, content: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(content)
        os.chmod(tmp, 0o644)  # mkstemp makes 0600; generated files are meant to be read by services
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def compare(files: dict[str, bytes], out: Path) -> BuildResult:
    result = BuildResult(files)
    existing = _existing(out)
    for path, content in sorted(files.items()):
        target = out / path
        if path not in existing:
            result.missing.append(path)
        elif target.read_bytes() != content:
            result.stale.append(path)
    result.extra = sorted(existing - set(files))
    return result


def build(inventory_path=None, out: Path = DEFAULT_OUT, check: bool = False,
          project: Project | None = None) -> BuildResult:
    project = project or load_project(inventory_path)
    findings = build_checks(project)
    if findings:
        lines = [str(f) for f in findings]
        raise VVError("\n".join(lines) if len(lines) > 1 else lines[0])
    files = render(project)
    result = compare(files, out)
    if check:
        return result
    if out.exists() and any(out.iterdir()) and not (out / MARKER).exists():
        raise VVError(f"{out}: not empty and not a vvdash output folder (no {MARKER}); refusing to write")
    for path in result.missing + result.stale:
        _write_atomic(out / path, files[path])
        result.written.append(path)
    for path in result.extra:
        (out / path).unlink()
    _prune_empty_dirs(out)
    return result


def _prune_empty_dirs(out: Path) -> None:
    for d in sorted((p for p in out.rglob("*") if p.is_dir()), key=lambda p: len(p.parts), reverse=True):
        if not any(d.iterdir()):
            d.rmdir()
