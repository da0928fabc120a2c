"""The dashboards to preview: the generated JSON files, each with Grafana's URL slug."""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from vvdash.errors import VVError


def slugify(title: str) -> str:
    """Grafana's dashboard slug: lower case, accents dropped, runs of other characters -> '-'."""
    text = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-")


@dataclass(frozen=True)
class Dashboard:
    uid: str
    title: str
    slug: str
    tags: tuple[str, ...]
    model: dict
    path: Path

    @property
    def url(self) -> str:
        return f"/d/{self.uid}/{self.slug}"


def load_dir(folder: str | Path) -> dict[str, Dashboard]:
    """Every *.json dashboard in `folder`, by uid; a broken file is one line naming it (exit 2)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise VVError(f"{folder}: no such folder of dashboards; run `vvdash build` first")
    found: dict[str, Dashboard] = {}
    for path in sorted(folder.glob("*.json")):
        try:
            model = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise VVError(f"{path}: not a dashboard JSON file ({exc})") from None
        if not isinstance(model, dict) or not isinstance(model.get("uid"), str) or not model.get("uid"):
            raise VVError(f"{path}: dashboard has no uid")
        if not isinstance(model.get("panels", []), list):
            raise VVError(f"{path}: panels: expected a list")
        uid = model["uid"]
        if uid in found:
            raise VVError(f"{path}: uid {uid!r} is also used by {found[uid].path.name}")
        title = str(model.get("title") or uid)
        found[uid] = Dashboard(uid, title, slugify(title) or uid, tuple(map(str, model.get("tags", []))), model, path)
    if not found:
        raise VVError(f"{folder}: no dashboard JSON files; run `vvdash build` first")
    return found
