"""Fixtures for the supporting services: a real Pushgateway, a storage root, scraping helpers."""

from __future__ import annotations

from pathlib import Path

import pytest

from vvdash.procs import Process, require_binary, start_on_free_port

from support_helpers import HMAC_ENV, TEST_KEY


@pytest.fixture
def pushgateway(tmp_path):
    """A real prometheus-pushgateway on a free 127.0.0.1 port, memory only; stopped after the test."""
    binary = require_binary("prometheus-pushgateway")
    proc, port = start_on_free_port(
        lambda port: Process("pushgateway", [binary, f"--web.listen-address=127.0.0.1:{port}", "--persistence.file=",
                                             "--log.level=warn"], tmp_path / "pushgateway.log").start(),
        lambda port: f"http://127.0.0.1:{port}/-/ready", timeout=20)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.stop()


@pytest.fixture
def root(tmp_path) -> Path:
    path = tmp_path / "storage"
    path.mkdir()
    return path


@pytest.fixture
def hmac_key(monkeypatch) -> bytes:
    monkeypatch.setenv(HMAC_ENV, TEST_KEY)
    return TEST_KEY.encode()
