"""Discover and load the Python definitions in dashboards/ and rules/.

A module in dashboards/ defines `dashboard(inv)`; a module in rules/ defines `groups(inv)`.
Modules whose name starts with an underscore hold shared pieces and are not discovered.
"""

from __future__ import annotations

import importlib
import pkgutil
import traceback
from pathlib import Path

from vvdash import project_folder
from vvdash.errors import VVError
from vvdash.model.dashboards import DashboardDef, to_model
from vvdash.model.rules import Group, RuleFile


def _modules(package: str):
    pkg = project_folder.import_package(package)
    for info in sorted(pkgutil.iter_modules(pkg.__path__), key=lambda i: i.name):
        if info.name.startswith("_") or info.ispkg or info.name == "tests":
            continue
        name = f"{package}.{info.name}"
        path = Path(pkg.__path__[0]) / f"{info.name}.py"
        try:
            module = importlib.import_module(name)
        except Exception as exc:  # a broken definition: name it, in one line
            raise VVError(f"{_rel(path)}: cannot import: {_last_frame(exc)}") from None
        yield info.name, _rel(path), module


def _rel(path: Path) -> str:
    return project_folder.shown(path)


def _last_frame(exc: Exception) -> str:
    tb = traceback.extract_tb(exc.__traceback__)
    where = f" (line {tb[-1].lineno})" if tb else ""
    return f"{type(exc).__name__}: {exc}{where}"


def _call(path: str, func, inv):
    try:
        return func(inv)
    except VVError:
        raise
    except Exception as exc:
        raise VVError(f"{path}: {func.__name__}() failed: {_last_frame(exc)}") from None


def load_dashboards(inv, package: str = "dashboards") -> list[DashboardDef]:
    out = []
    for name, path, module in _modules(package):
        func = getattr(module, "dashboard", None)
        if func is None:
            raise VVError(f"{path}: defines no dashboard(inv) function")
        model = _call(path, func, inv)
        if model is None:          # not for this inventory (the fleet overview without `fleet`)
            continue
        out.append(DashboardDef(name, path, to_model(model)))
    return out


def load_rules(inv, package: str = "rules") -> list[RuleFile]:
    out = []
    for name, path, module in _modules(package):
        func = getattr(module, "groups", None)
        if func is None:
            raise VVError(f"{path}: defines no groups(inv) function")
        groups = tuple(_call(path, func, inv))
        for g in groups:
            if not isinstance(g, Group):
                raise VVError(f"{path}: groups() must return Group objects, got {type(g).__name__}")
        out.append(RuleFile(name, path, groups))
    return out
