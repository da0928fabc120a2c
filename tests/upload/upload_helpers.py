"""Shared by the upload tests: credentials the stand-in accepts, fixture dashboards, the run record."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

EDITOR_TOKEN = "glsa_editor_7f3a9c0d5e1b4a2f"
VIEWER_TOKEN = "glsa_viewer_19bd0e4c8a7f6d21"
ADMIN_TOKEN = "glsa_admin_c2e8a41f0b9d7365"
ADMIN_PASSWORD = "pw-b7d0e3a9c1f4"
SECRETS = (EDITOR_TOKEN, VIEWER_TOKEN, ADMIN_TOKEN, ADMIN_PASSWORD)
FOLDER_UID = "vv-video-ai"     # vvdash.yaml grafana.folder_uid
FAST = ["--retry-backoff", "0.01", "--timeout", "3"]


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
