"""The fleet inventory and its build, made once for the fleet tests."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tests.helpers import PROJECT_ROOT
from vvdash.build import build
from vvdash.inventory import overlay

OVERLAY = Path(__file__).parent / "fleet.yaml"


def fleet_data() -> dict:
    """The project's vvdash.yaml with the fleet overlay laid over it."""
    base = yaml.safe_load((PROJECT_ROOT / "vvdash.yaml").read_text())
    return overlay(base, yaml.safe_load(OVERLAY.read_text()))


def write_fleet_inventory(folder: Path) -> Path:
    path = folder / "vvdash.yaml"
    path.write_text(yaml.safe_dump(fleet_data(), sort_keys=False))
    return path


@pytest.fixture(scope="session")
def fleet_inventory(tmp_path_factory) -> Path:
    return write_fleet_inventory(tmp_path_factory.mktemp("fleet-inventory"))


@pytest.fixture(scope="session")
def fleet_out(fleet_inventory, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("fleet") / "generated"
    build(fleet_inventory, out=out)
    return out
