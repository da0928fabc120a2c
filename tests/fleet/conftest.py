"""The fleet inventory's build, made once for the fleet tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from vvdash.build import build

FLEET = Path(__file__).parent / "fleet.yaml"


@pytest.fixture(scope="session")
def fleet_out(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("fleet") / "generated"
    build(FLEET, out=out)
    return out
