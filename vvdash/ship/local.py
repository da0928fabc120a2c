"""The dashboards to ship: generated/dashboards/*.json as vvdash sends them to Grafana.

Each gets the managed-by tag (prune only ever touches dashboards carrying it) and loses `id` and
`version`, which belong to Grafana. `normalized()` is what "unchanged" compares on both sides.

Upload writes a record of what it wrote into the dashboard (RECORD_KEY: the SHA-256 of its content). The
next upload compares Grafana's copy with that record: a copy that no longer matches it (or lost it: the
dashboard editor saves only the keys it knows) was changed in Grafana and is not overwritten silently.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path

from vvdash.errors import VVError

MANAGED_TAG = "managed-by:vvdash"
DEFAULT_DIR = "generated/dashboards"       # in the project folder
GRAFANA_OWNED_KEYS = ("id", "version")
RECORD_KEY = "vvdashUpload"     # {"sha256": <hex of canonical(model)>}


@dataclass
class LocalDashboard:
    path: Path
    model: dict

    @property
    def uid(self) -> str:
        return self.model["uid"]

    @property
    def title(self) -> str:
        return self.model["title"]

    @property
    def label(self) -> str:
        return f"{self.uid} {self.title!r}"


@dataclass
class Problem:
    path: Path
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


def title_slug(title: str) -> str:
    """What Grafana's "same name in folder" check compares (`slug = ?`): lower-case ASCII letters and digits,
    runs of anything else as one '-'. Titles that slug to nothing are compared as they are."""
    return re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-") or title


def normalized(model: dict) -> dict:
    return {k: v for k, v in model.items() if k not in GRAFANA_OWNED_KEYS and k != RECORD_KEY}


def _as_stored(value):
    """A JSON value as it reads back from Grafana: Go keeps numbers as float64 and writes 25.0 as 25."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 2 ** 63:
        return int(value)
    if isinstance(value, dict):
        return {k: _as_stored(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_as_stored(v) for v in value]
    return value


def canonical(model: dict) -> str:
    return json.dumps(_as_stored(normalized(model)), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def content_hash(model: dict) -> str:
    return hashlib.sha256(canonical(model).encode()).hexdigest()


def recorded_hash(model: dict) -> str | None:
    """The hash upload recorded in Grafana's copy, or None when there is none."""
    record = model.get(RECORD_KEY)
    return record.get("sha256") if isinstance(record, dict) and isinstance(record.get("sha256"), str) else None


def changed_in_grafana(model: dict) -> bool:
    """Grafana's copy is no longer what vvdash last wrote (or carries no record of it)."""
    return recorded_hash(model) != content_hash(model)


def with_record(model: dict) -> dict:
    """The model as upload writes it: with the record of its own content."""
    return {**normalized(model), RECORD_KEY: {"sha256": content_hash(model)}}


def with_managed_tag(model: dict) -> dict:
    tags = [t for t in model.get("tags") or [] if isinstance(t, str)]
    return {**normalized(model), "tags": tags if MANAGED_TAG in tags else [*tags, MANAGED_TAG]}


def _read(path: Path) -> LocalDashboard:
    try:
        model = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ValueError(f"cannot read: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise ValueError("not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise ValueError(f"invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}") from None
    if not isinstance(model, dict):
        raise ValueError(f"expected a dashboard object, got {type(model).__name__}")
    uid, title = model.get("uid"), model.get("title")
    if not isinstance(uid, str) or not uid:
        raise ValueError("no uid; vvdash needs a stable uid to find the dashboard in Grafana again")
    if not isinstance(title, str) or not title.strip():
        raise ValueError(f"dashboard {uid} has no title")
    return LocalDashboard(path, with_managed_tag(model))


def load(folder: Path) -> tuple[list[LocalDashboard], list[Problem]]:
    """Every readable dashboard (sorted by uid) and one problem per file that is not."""
    folder = Path(folder)
    if not folder.is_dir():
        raise VVError(f"{folder}: dashboards folder not found; run `python -m vvdash build` or pass --dashboards")
    files = sorted(folder.glob("*.json"))
    if not files:
        raise VVError(f"{folder}: no *.json dashboards; run `python -m vvdash build` or pass --dashboards")
    dashboards: dict[str, LocalDashboard] = {}
    titles: dict[str, LocalDashboard] = {}   # Grafana wants title slugs unique within a folder
    problems: list[Problem] = []
    for path in files:
        try:
            dash = _read(path)
        except ValueError as exc:
            problems.append(Problem(path, str(exc)))
            continue
        if dash.uid in dashboards:
            problems.append(Problem(path, f"uid {dash.uid} is also used by {dashboards[dash.uid].path.name}"))
            continue
        slug = title_slug(dash.title)
        if slug in titles:
            problems.append(Problem(path, f"title {dash.title!r} is too close to {titles[slug].title!r} of "
                                          f"{titles[slug].path.name}: Grafana allows one title slug "
                                          f"({slug!r}) per folder"))
            continue
        dashboards[dash.uid] = dash
        titles[slug] = dash
    return sorted(dashboards.values(), key=lambda d: d.uid), problems
