"""Build generated/: load the definitions, check them, render every emitter, write atomically.

The flow, in order: `load_project` (vvdash/project.py: inventory, catalog, and the definitions
vvdash/definitions.py finds in dashboards/ and rules/) -> BUILD_CHECKS -> EMITTERS -> one write.
Both lists are here, named; a new check or emitter is added to them.

Nothing is written until every definition loaded and every check passed; then the whole new
tree is staged beside generated/ and swapped in at once (vvdash/atomic_tree.py), so a failed
or killed build leaves generated/ byte-identical. `check=True` writes nothing and reports
stale files.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from vvdash import atomic_tree, project_folder
from vvdash.check import alert_style, contract, dashboard_lint, metric_coverage
from vvdash.emit import (
    alertmanager, compose, dashboards, docs_metrics, fleet, grafana_provisioning, prometheus_config, rule_tests, rules,
    runbook,
)
from vvdash.errors import VVError
from vvdash.findings import Finding
from vvdash.project import Project, load_project

OUT = "generated"           # the default output folder, in the project folder


def default_out() -> Path:
    return project_folder.path(OUT)


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


# The checks that gate a build. The rule-test coverage check (vvdash/check/rule_tests.py) needs the
# rendered tests and runs in `vvdash lint` only.
BUILD_CHECKS = (alert_style.check_project, contract.check_project, dashboard_lint.check_project,
                metric_coverage.check_project)

# What generated/ holds, one emitter a part: each returns {relative path: bytes}.
EMITTERS = {
    "alertmanager": alertmanager.emit,                  # alertmanager/ (config, templates)
    "compose": compose.emit,                            # compose/docker-compose.yml
    "dashboards": dashboards.emit,                      # dashboards/*.json
    "fleet": fleet.emit,                                # fleet/, kubernetes/ (only with `fleet`)
    "docs_metrics": docs_metrics.emit,                  # METRICS.md
    "grafana_provisioning": grafana_provisioning.emit,  # grafana/provisioning/
    "prometheus_config": prometheus_config.emit,        # prometheus/prometheus.yml, blackbox/
    "rule_tests": rule_tests.emit,                      # prometheus/tests/ (from rules/tests/)
    "rules": rules.emit,                                # prometheus/rules/
    "runbook": runbook.emit,                            # RUNBOOK.md
}


def build_checks(project: Project) -> list[Finding]:
    """Every finding of the checks that gate a build, sorted, each once."""
    findings: list[Finding] = []
    for check in BUILD_CHECKS:
        findings += check(project)
    return sorted(set(findings))


def render(project: Project) -> dict[str, bytes]:
    files: dict[str, bytes] = {MARKER: b"Files here are written by `python -m vvdash build`.\n"}
    for name, emit in EMITTERS.items():
        for path, content in emit(project).items():
            if path in files:
                raise VVError(f"emitter {name}: {path} is also written by another emitter")
            files[path] = content
    return files


def _existing(out: Path) -> set[str]:
    if not out.is_dir():
        return set()
    return {str(p.relative_to(out)) for p in out.rglob("*") if p.is_file()}


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


def _check_out_folder(out: Path) -> None:
    """Output-folder problems as one line, before anything is written."""
    if out.exists() and not out.is_dir():
        raise VVError(f"{out}: --out is not a folder")
    if out.is_dir():
        for folder in [out, *(p for p in out.rglob("*") if p.is_dir() and not p.is_symlink())]:
            if not os.access(folder, os.W_OK | os.X_OK):
                raise VVError(f"{folder}: folder is read-only; nothing was written")
    parent = out.parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    if not parent.is_dir():
        raise VVError(f"{parent}: not a folder, cannot hold --out {out}")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise VVError(f"{parent}: folder is read-only; cannot write {out}")


def _tidy(out: Path) -> None:
    """Remove what a killed build left beside `out` (best effort: nothing depends on it)."""
    try:
        atomic_tree.tidy(out)
    except OSError:
        pass


def build(inventory_path=None, out: Path | None = None, check: bool = False,
          project: Project | None = None) -> BuildResult:
    out = out or default_out()
    project = project or load_project(inventory_path)
    findings = build_checks(project)
    if findings:
        lines = [str(f) for f in findings]
        raise VVError("\n".join(lines) if len(lines) > 1 else lines[0])
    files = render(project)
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise VVError(f"{out}: --out is not a folder")
    try:
        result = compare(files, out)
    except OSError as exc:
        raise VVError(f"{out}: cannot read the output folder: {exc.strerror}") from None
    if check:
        return result
    if out.exists() and any(out.iterdir()) and not (out / MARKER).exists():
        raise VVError(f"{out}: not empty and not a vvdash output folder (no {MARKER}); refusing to write")
    if not result.changed and out.is_dir():
        _tidy(out)
        return result
    _check_out_folder(out)
    try:
        atomic_tree.replace_tree(out, files)
    except OSError as exc:
        raise VVError(f"{out}: cannot write the output folder ({exc.strerror}); it is unchanged") from None
    result.written = result.missing + result.stale
    return result
