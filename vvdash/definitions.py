"""Discover and load the Python definitions in dashboards/ and rules/ (and rules/tests/).

The one discovery vvdash does: every module of the folder, by name, except those whose name
starts with an underscore (shared pieces) and subpackages. So a dashboard is added by adding
dashboards/<name>.py with `dashboard(inv)`, a rule file by adding rules/<name>.py with
`groups(inv)`, and scenarios by adding rules/tests/<name>.py with `scenarios(ctx)`; nothing else
lists them. What dashboards/ and rules/ share lives in shared/.
"""

from __future__ import annotations

import importlib
import pkgutil
import traceback
from pathlib import Path

from vvdash import project_folder
from vvdash.errors import DefinitionError, VVError
from vvdash.model.dashboards import DashboardDef, to_model
from vvdash.model.rules import Group, RuleFile


def modules(package: str):
    """(name, path relative to the project, module) of each discovered module of `package`, by name."""
    init = project_folder.path(*package.split("."), "__init__.py")
    pkg = _imported(package, init, project_folder.import_package)
    for info in sorted(pkgutil.iter_modules(pkg.__path__), key=lambda i: i.name):
        if info.name.startswith("_") or info.ispkg:
            continue
        path = Path(pkg.__path__[0]) / f"{info.name}.py"
        yield info.name, _rel(path), _imported(f"{package}.{info.name}", path, importlib.import_module)


def _imported(name: str, path: Path, importer):
    try:
        return importer(name)
    except VVError:
        raise
    except Exception as exc:  # a broken definition: name it, in one line
        raise VVError(f"{_rel(path)}: cannot import: {_last_frame(exc)}") from None


def _rel(path: str | Path) -> str:
    return project_folder.shown(path)


def _last_frame(exc: Exception) -> str:
    """The error and where it was raised: the last frame of the definitions' own code (not of
    importlib), or the file and line a SyntaxError points at."""
    if isinstance(exc, SyntaxError):
        where = f" ({_rel(exc.filename)}, line {exc.lineno})" if exc.filename else ""
        return f"{type(exc).__name__}: {exc.msg}{where}"
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if not f.filename.startswith("<")]
    where = f" ({_rel(frames[-1].filename)}, line {frames[-1].lineno})" if frames else ""
    return f"{type(exc).__name__}: {exc}{where}"


def _call(path: str, func, inv):
    try:
        return func(inv)
    except DefinitionError as exc:   # names the rule or panel; the module is said here
        raise VVError(f"{path}: {exc}") from None
    except VVError:
        raise
    except Exception as exc:
        raise VVError(f"{path}: {func.__name__}() failed: {_last_frame(exc)}") from None


def _defined(package: str, function: str, inv):
    """(name, path, what `function(inv)` returns) for every module of `package`."""
    for name, path, module in modules(package):
        func = getattr(module, function, None)
        if func is None:
            raise VVError(f"{path}: defines no {function}(inv) function")
        yield name, path, _call(path, func, inv)


def load_dashboards(inv, package: str = "dashboards") -> list[DashboardDef]:
    out = []
    for name, path, made in _defined(package, "dashboard", inv):
        if made is None:           # not for this inventory (the fleet overview without `fleet`)
            continue
        try:
            out.append(DashboardDef(name, path, to_model(made)))
        except DefinitionError as exc:
            raise VVError(f"{path}: {exc}") from None
    return out


FLEET_RULES = "rules.central.fleet"   # the store ruler's own rules; a subpackage, so not a site rule file
FLEET_RULE_FILE = "fleet"              # generated/fleet/ruler/fleet.yml


def _fleet_rules_path() -> Path:
    return project_folder.path(*FLEET_RULES.split(".")).with_suffix(".py")


def fleet_rules_module():
    """rules/central/fleet.py itself (the promtool tests of the ruler are written from its alerts)."""
    return _imported(FLEET_RULES, _fleet_rules_path(), project_folder.import_package)


def load_fleet_rules(inv) -> list[RuleFile]:
    """The ruler's fleet rule file (rules/central/fleet.py), [] for an inventory without `fleet`."""
    if inv.get("fleet") is None:
        return []
    shown = _rel(_fleet_rules_path())
    groups = tuple(_call(shown, fleet_rules_module().groups, inv))
    return [RuleFile(module=FLEET_RULE_FILE, source=shown, groups=groups)]


def load_rules(inv, package: str = "rules") -> list[RuleFile]:
    out = []
    for name, path, made in _defined(package, "groups", inv):
        groups = tuple(made)
        for g in groups:
            if not isinstance(g, Group):
                raise VVError(f"{path}: groups() must return Group objects, got {type(g).__name__}")
        out.append(RuleFile(module=name, source=path, groups=groups))
    return out
