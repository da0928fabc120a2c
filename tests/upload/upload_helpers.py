"""Shared by the upload tests: credentials the stand-in accepts, fixture dashboards, the run record."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from vvdash import inventory

EDITOR_TOKEN = "glsa_editor_7f3a9c0d5e1b4a2f"
VIEWER_TOKEN = "glsa_viewer_19bd0e4c8a7f6d21"
ADMIN_TOKEN = "glsa_admin_c2e8a41f0b9d7365"
ADMIN_PASSWORD = "pw-b7d0e3a9c1f4"
SECRETS = (EDITOR_TOKEN, VIEWER_TOKEN, ADMIN_TOKEN, ADMIN_PASSWORD)
_GRAFANA = inventory.load()["grafana"]   # the inventory the CLI reads when no --inventory is given
FOLDER_UID = _GRAFANA["folder_uid"]
FOLDER_TITLE = _GRAFANA["folder_title"]
FAST = ["--retry-backoff", "0.01", "--timeout", "3"]
# For timeout tests: a client timeout that ordinary answers meet even on a busy machine, and a delay on the
# one slowed request far beyond it, so only that request times out.
SHORT_TIMEOUT = 1.0
SLOW_ANSWER = 3.0


@dataclass
class Run:
    code: int
    out: str
    err: str

    def lines(self, word: str) -> list[str]:
        return [line for line in self.out.splitlines() if word in line]


def dashboard(uid: str, title: str | None = None, **extra) -> dict:
    model = {"uid": uid, "title": title or f"Fixture {uid}", "id": None, "schemaVersion": 39,
             "tags": ["vv"], "timezone": "browser",
             "panels": [{"id": 1, "type": "timeseries", "title": "Rate", "gridPos": {"h": 8, "w": 12, "x": 0, "y": 0},
                         "targets": [{"expr": f'rate(vv_items_total{{dash="{uid}"}}[$__rate_interval])',
                                      "refId": "A"}]}]}
    model.update(extra)
    return model


def write_dashboards(folder: Path, models: list[dict]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for model in models:
        (folder / f"{model['uid']}.json").write_text(json.dumps(model, indent=2, sort_keys=True) + "\n")
    return folder


def upload_args(standin, folder: Path, *extra) -> list:
    return ["upload", "--grafana-url", standin.url, "--dashboards", folder, *FAST, *extra]
