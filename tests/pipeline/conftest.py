"""Fixtures for the pipeline tests: a private inventory, storage root, clips and running services."""

from __future__ import annotations

import pytest

from pipeline_helpers import ServiceSet, write_inventory


@pytest.fixture
def pipeline_env(tmp_path):
    """(inventory path, storage root, env) for a pipeline on free 127.0.0.1 ports with its own key file."""
    return write_inventory(tmp_path)


@pytest.fixture
def services(pipeline_env):
    """Start pipeline services by name (`services.start("scan_video")`); all stopped at the end."""
    inv_path, root, env = pipeline_env
    group = ServiceSet(inv_path, root, env)
    try:
        yield group
    finally:
        group.stop_all()
