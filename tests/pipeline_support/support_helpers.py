"""Helpers for the supporting-services tests: parse expositions, run the CLI, age files."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import requests
from prometheus_client.parser import text_string_to_metric_families

ROOT = Path(__file__).resolve().parents[2]
HMAC_ENV = "VV_HMAC_KEY"  # the reference in the project's vvdash.yaml
TEST_KEY = "support-tests-key"


def samples(text: str) -> dict[tuple[str, frozenset], float]:
    """{(sample name, labels): value} of an exposition."""
    out = {}
    for fam in text_string_to_metric_families(text):
        for s in fam.samples:
            out[(s.name, frozenset(s.labels.items()))] = s.value
    return out


def value(text: str, name: str, **labels) -> float | None:
    """The value of the one sample `name` whose labels include `labels` (None when absent)."""
    hits = [v for (n, ls), v in samples(text).items() if n == name and set(labels.items()) <= set(ls)]
    assert len(hits) <= 1, f"{name} {labels}: {len(hits)} samples"
    return hits[0] if hits else None


def scrape(url: str) -> str:
    r = requests.get(url, timeout=5)
    r.raise_for_status()
    return r.text


def run_cli(*args: str, env: dict | None = None, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "vvdash", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=timeout, env={**os.environ, **(env or {})})


def age(path: Path, days: float) -> None:
    """Set a file's mtime `days` in the past (without following symlinks)."""
    t = time.time() - days * 86400
    os.utime(path, (t, t), follow_symlinks=False)
