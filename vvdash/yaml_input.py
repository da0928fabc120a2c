"""YAML files vvdash reads as input (promtool test files, routing cases): one line on a bad one."""

from __future__ import annotations

from pathlib import Path

import yaml

from vvdash.errors import VVError


def read_listing(path: Path, key: str, reading: str, not_one: str, shown: str | None = None) -> dict:
    """The mapping in `path` with a `key:` list. A file that cannot be read or parsed is
    "<shown>: cannot read <reading>: <why>"; another shape is "<shown>: <not_one>"."""
    shown = shown or str(path)
    try:
        data = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as exc:
        raise VVError(f"{shown}: cannot read {reading}: {str(exc).splitlines()[0]}") from None
    if not isinstance(data, dict) or not isinstance(data.get(key), list):
        raise VVError(f"{shown}: {not_one}")
    return data
