"""Fixtures for `vvdash upload` / `vvdash diff`: the Grafana stand-in on a free port, fixture dashboards,
and the CLI run in-process with a token in the environment."""

from __future__ import annotations

from pathlib import Path

import pytest

from vvdash.cli import main
from tests.grafana_standin import LEGACY_ONLY, GrafanaStandin

from upload_helpers import ADMIN_PASSWORD, ADMIN_TOKEN, EDITOR_TOKEN, SECRETS, VIEWER_TOKEN, Run, dashboard, \
    write_dashboards


@pytest.fixture
def standin():
    """A Grafana that offers only the legacy API (10.4, 11): the failure tests run against that one; the
    resource API of 12 and 13 has its own tests (test_upload_apis.py)."""
    server = GrafanaStandin(tokens={EDITOR_TOKEN: "Editor", VIEWER_TOKEN: "Viewer", ADMIN_TOKEN: "Admin"},
                            users={"admin": (ADMIN_PASSWORD, "Admin")}, dashboard_apis=LEGACY_ONLY)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def dash_dir(tmp_path) -> Path:
    return write_dashboards(tmp_path / "dashboards", [dashboard(f"vv-fix-{i}") for i in range(1, 6)])


@pytest.fixture
def vv(capsys, monkeypatch):
    """Run the CLI in-process with the Editor token in $VVDASH_GRAFANA_TOKEN (unless `env` says otherwise)."""
    for name in ("VVDASH_GRAFANA_URL", "VVDASH_GRAFANA_TOKEN", "GRAFANA_TOKEN"):
        monkeypatch.delenv(name, raising=False)

    def run(*args, env: dict | None = None) -> Run:
        capsys.readouterr()
        env = {"VVDASH_GRAFANA_TOKEN": EDITOR_TOKEN} if env is None else env
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        try:
            code = main([str(a) for a in args])
        finally:
            for name in env:
                monkeypatch.delenv(name, raising=False)
        captured = capsys.readouterr()
        for secret in SECRETS:  # no credential in any output, whatever the run did
            assert secret not in captured.out and secret not in captured.err
        return Run(code, captured.out, captured.err)

    return run
