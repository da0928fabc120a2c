"""The project folder vvdash works on: the folder holding vvdash.yaml, with dashboards/, rules/,
rules/tests/ and generated/ beside it.

`--project DIR` chooses it; otherwise $VVDASH_PROJECT (which vvdash sets for the processes it
starts), otherwise the nearest folder with a vvdash.yaml from the current directory up. The
package itself may be installed anywhere: nothing here depends on where its code lives.
"""

from __future__ import annotations

import importlib
import os
import sys
from pathlib import Path
from types import ModuleType

from vvdash.errors import VVError

MARKER = "vvdash.yaml"
ENV = "VVDASH_PROJECT"

_chosen: Path | None = None


def find(start: Path) -> Path | None:
    """The nearest folder from `start` up that holds a vvdash.yaml."""
    start = start.resolve()
    for folder in (start, *start.parents):
        if (folder / MARKER).is_file():
            return folder
    return None


def _checked(path: str | Path, origin: str) -> Path:
    folder = Path(path).expanduser().resolve()
    if not folder.is_dir():
        raise VVError(f"{origin} {path}: not a folder")
    if not (folder / MARKER).is_file():
        raise VVError(f"{origin} {path}: no {MARKER} in that folder (a vvdash project holds one)")
    return folder


def choose(path: str | Path | None) -> Path | None:
    """`--project DIR`: work on that folder from now on (None: keep looking it up)."""
    global _chosen
    _chosen = None if path is None else _checked(path, "--project")
    return _chosen


def current() -> Path | None:
    """The project folder, or None when there is none."""
    if _chosen is not None:
        return _chosen
    if os.environ.get(ENV):
        return _checked(os.environ[ENV], f"${ENV}")
    return find(Path.cwd())


def root() -> Path:
    folder = current()
    if folder is None:
        raise VVError(f"no vvdash project in {Path.cwd()} or a folder above it (no {MARKER}); "
                      f"run vvdash in one, or pass --project DIR")
    return folder


def path(*parts: str) -> Path:
    return root().joinpath(*parts)


def working_folder(given: str | Path | None, default: str) -> Path:
    """A command's working folder (`stack`, `fleet`): `--workdir` as given, relative to the current
    directory; without it `default` in the project folder."""
    return Path(given).resolve() if given else path(default)


def shown(p: str | Path) -> str:
    """A path as people read it: relative to the project folder when it lies inside."""
    folder = current()
    try:
        return str(Path(p).resolve().relative_to(folder)) if folder else str(p)
    except ValueError:
        return str(p)


def child_env() -> dict[str, str]:
    """Environment entries for a process started from this one: the project `--project` chose
    (one found from the current directory or $VVDASH_PROJECT, the child finds the same way)."""
    return {ENV: str(_chosen)} if _chosen else {}


def import_package(name: str) -> ModuleType:
    """A definitions package (dashboards, rules, rules.tests) from the project folder, never an
    installed copy of the same name."""
    folder = root()
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))
    module = importlib.import_module(name)
    where = Path(getattr(module, "__file__", None) or next(iter(getattr(module, "__path__", [""])), ""))
    expected = folder.joinpath(*name.split("."))
    if where.resolve().parent != expected.resolve() and where.resolve() != expected.with_suffix(".py").resolve():
        raise VVError(f"{name}: imported from {where.parent}, not from the project folder {folder}; "
                      f"run vvdash from the project (or pass --project {folder})")
    return module
