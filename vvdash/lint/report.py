"""Lint results as readable text, GitHub workflow annotations, or a JUnit XML file."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from vvdash.lint import StepResult


def summary(results: list[StepResult]) -> str:
    findings = sum(len(r.issues) for r in results)
    failed = sum(1 for r in results if r.issues)
    skipped = sum(1 for r in results if r.skipped)
    text = f"{findings} finding{'s' if findings != 1 else ''} in {failed} step{'s' if failed != 1 else ''}"
    if not findings:
        text = f"clean ({len(results) - skipped} steps)"
    return f"vvdash lint: {text}" + (f", {skipped} skipped" if skipped else "")


def text(results: list[StepResult]) -> str:
    lines = []
    for r in results:
        if r.skipped:
            lines.append(f"skip  {r.step}: {r.skipped}")
        elif r.ok:
            lines.append(f"ok    {r.step} ({r.seconds:.1f}s)")
        else:
            lines.append(f"FAIL  {r.step}: {len(r.issues)} finding{'s' if len(r.issues) != 1 else ''}")
            lines += [f"      {i}" for i in r.issues]
    lines.append(summary(results))
    return "\n".join(lines)


def _escape(value: str, prop: bool = False) -> str:
    value = value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return value.replace(":", "%3A").replace(",", "%2C") if prop else value


def github(results: list[StepResult]) -> str:
    """Workflow commands: one ::error per finding (on its file when known), ::notice per skip."""
    lines = []
    for r in results:
        if r.skipped:
            lines.append(f"::notice title={_escape('vvdash lint ' + r.step, True)}::{_escape(r.skipped)}")
        for i in r.issues:
            props = f"title={_escape('vvdash lint ' + r.step, True)}"
            if i.file:
                props = f"file={_escape(i.file, True)}," + props
            lines.append(f"::error {props}::{_escape(str(i))}")
    lines.append(summary(results))
    return "\n".join(lines)


def junit(results: list[StepResult], path: Path) -> None:
    suite = ET.Element("testsuite", name="vvdash lint", tests=str(len(results)),
                       failures=str(sum(1 for r in results if r.issues)),
                       skipped=str(sum(1 for r in results if r.skipped)),
                       time=f"{sum(r.seconds for r in results):.3f}")
    for r in results:
        case = ET.SubElement(suite, "testcase", classname="vvdash.lint", name=r.step, time=f"{r.seconds:.3f}")
        if r.skipped:
            ET.SubElement(case, "skipped", message=r.skipped)
        elif r.issues:
            fail = ET.SubElement(case, "failure", message=f"{len(r.issues)} findings", type="lint")
            fail.text = "\n".join(str(i) + (f"\n{i.detail}" if i.detail else "")
                                  for i in r.issues)
    ET.indent(suite)
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    ET.ElementTree(suite).write(path, encoding="utf-8", xml_declaration=True)
