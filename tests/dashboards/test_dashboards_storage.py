"""The storage dashboard reads the filesystems and the growth series its alerts read."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from shared import exprs
from shared import records as R
from tests.helpers import PROJECT_ROOT
from vvdash import inventory
from vvdash.model.dashboards import iter_targets
from vvdash.project import load_project

SCOPE = 'site=~"$site", job=~"$job", instance=~"$instance"'
ALL_MOUNTS = "Used and free per mount"     # the one panel meant to list every real mount
FS_SELECTOR = re.compile(r"node_filesystem_\w+\{([^}]*)\}")


@pytest.fixture(scope="module")
def project():
    return load_project()


@pytest.fixture(scope="module")
def storage(project):
    return next(d.model for d in project.dashboards if d.uid == "vv-storage")


def _targets(model, title):
    return [t["expr"] for p, t in iter_targets(model) if p["title"] == title]


def test_filesystem_panels_read_the_alerts_filesystems(storage):
    sel = exprs.storage_selector(inventory.load())
    seen = set()
    for panel, target in iter_targets(storage):
        for matchers in FS_SELECTOR.findall(target["expr"]):
            seen.add(panel["title"])
            if panel["title"] == ALL_MOUNTS:
                assert matchers == f"{SCOPE}, {exprs.FSTYPE_FILTER}", target["expr"]
            else:
                assert matchers == f"{sel}, {SCOPE}", (panel["title"], target["expr"])
    assert {ALL_MOUNTS, "Free share of the storage filesystem", "Storage filesystem growth per hour",
            "Time until the storage filesystem is full", "Predicted free space"} <= seen


def test_free_share_is_the_alerts_ratio_with_the_variables_added(storage):
    [expr] = _targets(storage, "Free share of the storage filesystem")
    assert expr.replace(f", {SCOPE}", "") == exprs.storage_free_ratio(inventory.load())


def test_subfolder_growth_reads_the_alerts_recording_rule(project, storage):
    [expr] = _targets(storage, "Subfolder growth per hour")
    assert expr == f'{R.FOLDER_GROWTH}{{site=~"$site", job=~"$job"}} * 3600'
    assert project.contract.check(expr) == []
    # The rule keeps site, job and folder only: an instance matcher would select nothing.
    assert project.contract.check(expr.replace('job=~"$job"', SCOPE)) != []


def test_the_filesystem_type_filter_is_written_once():
    sources = [*Path(PROJECT_ROOT, "dashboards").glob("*.py"), *Path(PROJECT_ROOT, "rules").glob("*.py")]
    assert sources
    assert [str(p) for p in sources if "fstype" in p.read_text()] == []
