"""Inhibition cases checked against the generated inhibit_rules: with Alertmanager's semantics in
Python (`inhibited`, instant), and on a real Alertmanager binary of any generation (`live_results`).

A target alert is muted when some firing source alert matches an inhibit rule's
source_matchers, the target matches its target_matchers, and both carry the same values
for every label in `equal` (a label missing on both counts as equal).
"""

from __future__ import annotations

import re
import time
from pathlib import Path

from vvdash.errors import VVError

_MATCHER = re.compile(r'^\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*"((?:[^"\\]|\\.)*)"\s*$')


def parse_matcher(text: str):
    m = _MATCHER.match(text)
    if not m:
        raise ValueError(f"not a matcher: {text!r}")
    name, op, value = m.group(1), m.group(2), bytes(m.group(3), "utf-8").decode("unicode_escape")
    return name, op, value


def matches(matchers: list[str], labels: dict) -> bool:
    for text in matchers:
        name, op, value = parse_matcher(text)
        have = str(labels.get(name, ""))
        ok = {"=": have == value, "!=": have != value,
              "=~": re.fullmatch(value, have) is not None, "!~": re.fullmatch(value, have) is None}[op]
        if not ok:
            return False
    return True


def inhibited(rules: list[dict], source: dict, target: dict) -> bool:
    for rule in rules:
        if (matches(rule.get("source_matchers", []), source)
                and matches(rule.get("target_matchers", []), target)
                and all(source.get(label, "") == target.get(label, "") for label in rule.get("equal", []))
                and source != target):
            return True
    return False


# -- the same cases on a real Alertmanager ----------------------------------------------------
def _isolated(cases: list[dict]) -> list[tuple[dict, dict, dict]]:
    """Each case on its own sites (the same relation between source and target), so that one
    case's source can never mute another case's target."""
    out = []
    for i, case in enumerate(cases):
        source, target = dict(case["source"]), dict(case["target"])
        for labels in (source, target):
            labels["site"] = f"{labels.get('site', 'none')}-case{i}"
        out.append((source, target, case))
    return out


def _key(labels: dict) -> tuple:
    return tuple(sorted(labels.items()))


def live_results(binary: str, config: Path, cases: list[dict], workdir: Path,
                 timeout: float = 15.0) -> list[tuple[dict, bool]]:
    """Post every case's source and target to a real Alertmanager (`binary`, any generation) running
    `config`, and read back which targets it reports as inhibited: [(case, muted)].

    A muted target has a non-empty status.inhibitedBy."""
    import requests

    from vvdash.procs import Process, start_on_free_port

    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    proc, port = start_on_free_port(lambda port: Process("alertmanager", [
        binary, f"--config.file={config}", f"--storage.path={workdir / 'data'}",
        f"--web.listen-address=127.0.0.1:{port}", "--cluster.listen-address=",
    ], workdir / "alertmanager.log").start(), lambda port: f"http://127.0.0.1:{port}/-/ready", timeout=timeout)
    base = f"http://127.0.0.1:{port}"
    try:
        isolated = _isolated(cases)
        alerts = [{"labels": labels} for source, target, _ in isolated for labels in (source, target)]
        r = requests.post(f"{base}/api/v2/alerts", json=alerts, timeout=5)
        if r.status_code != 200:
            raise VVError(f"{binary}: Alertmanager refused the inhibition cases: HTTP {r.status_code} {r.text[:200]}")
        # The inhibitor learns of new source alerts asynchronously: read until every case reads as
        # expected (or the time is up), then once more a second later, so a target that only gets
        # muted late is seen muted.
        read = lambda: {_key(a["labels"]): bool(a["status"]["inhibitedBy"])  # noqa: E731
                        for a in requests.get(f"{base}/api/v2/alerts", timeout=5).json()}
        deadline = time.monotonic() + timeout
        while True:
            got = read()
            settled = all(got.get(_key(target)) == bool(case["inhibited"]) for _, target, case in isolated)
            if settled or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        time.sleep(1.0)
        got = read()
        missing = [case["name"] for _, target, case in isolated if _key(target) not in got]
        if missing:
            raise VVError(f"{binary}: Alertmanager did not list the target alert of: {', '.join(missing)}")
        return [(case, got[_key(target)]) for _, target, case in isolated]
    finally:
        proc.stop()


def check_cases(binary: str, config: Path, cases: list[dict], cases_file: str) -> list:
    """Lint findings for the inhibition cases on the Alertmanager `binary` (one generation):
    one Finding per case that is muted when it must not be, or the other way round."""
    import tempfile

    from vvdash.findings import Finding

    if not cases:
        return []
    with tempfile.TemporaryDirectory(prefix="vvdash-inhibit-") as work:
        results = live_results(binary, Path(config), cases, Path(work))
    issues = []
    for case, muted in results:
        if muted != bool(case["inhibited"]):
            want = "muted" if case["inhibited"] else "not muted"
            issues.append(Finding(f"{cases_file} / {case['name']}",
                                f"target is {'muted' if muted else 'not muted'} on {Path(binary).name}, expected {want}",
                                file=cases_file))
    return issues
