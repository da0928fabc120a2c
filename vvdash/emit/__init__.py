"""Emitters: each module here defines `emit(project) -> {relative path: bytes}`.

The build runs every emitter (sorted by module name) and writes the union under generated/.
"""

from __future__ import annotations

import importlib
import pkgutil


def emitters():
    pkg = importlib.import_module(__name__)
    for info in sorted(pkgutil.iter_modules(pkg.__path__), key=lambda i: i.name):
        if info.name.startswith("_") or info.name == "serialize":
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        if hasattr(module, "emit"):
            yield info.name, module.emit
