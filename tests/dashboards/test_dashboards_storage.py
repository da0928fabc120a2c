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
FS_SELECTOR = re.compile(r"(?<![:\w])node_filesystem_\w+\{([^}]*)\}")
FS_RECORD = re.compile("(" + "|".join(re.escape(r) for r in (
    R.downsampled("node_filesystem_avail_bytes"), R.downsampled("node_filesystem_size_bytes"), R.STORAGE_FREE_DERIV))
    + r")\{([^}]*)\}")


@pytest.fixture(scope="module")
def project():
    return load_project()


@pytest.fixture(scope="module")
def storage(project):
    return next(d.model for d in project.dashboards if d.uid == "vv-storage")


def _targets(model, title):
    return [t["expr"] for p, t in iter_targets(model) if p["title"] == title]


def test_filesystem_panels_read_the_alerts_filesystems(project, storage):
    sel = exprs.storage_selector(inventory.load())
    seen = set()
    for panel, target in iter_targets(storage):
        for matchers in FS_SELECTOR.findall(target["expr"]):
            seen.add(panel["title"])
            assert panel["title"] != ALL_MOUNTS and matchers == f"{sel}, {SCOPE}", (panel["title"], target["expr"])
        # Downsampled filesystem records keep real filesystems only (their rules filter fstype); the
        # storage mount's panels add the alerts' selector, the fill-rate record has it in its rule.
        for record, matchers in FS_RECORD.findall(target["expr"]):
            seen.add(panel["title"])
            if panel["title"] == ALL_MOUNTS or record == R.STORAGE_FREE_DERIV:
                assert matchers == SCOPE, (panel["title"], target["expr"])
            else:
                assert matchers == f"{SCOPE}, {sel}", (panel["title"], target["expr"])
    rules = {rule.record: rule.expr for f in project.rule_files for _, rule in f.rules() if hasattr(rule, "record")}
    assert f"{{{sel}}}[1h]" in rules[R.STORAGE_FREE_DERIV]
    for metric in ("node_filesystem_avail_bytes", "node_filesystem_size_bytes"):
        assert exprs.FSTYPE_FILTER in rules[R.downsampled(metric)]
    assert {ALL_MOUNTS, "Free share of the storage filesystem", "Storage filesystem growth per hour",
            "Time until the storage filesystem is full", "Predicted free space"} <= seen


def test_free_share_is_the_alerts_ratio_with_the_variables_added(storage):
    [expr] = _targets(storage, "Free share of the storage filesystem")
    assert expr.replace(f", {SCOPE}", "") == exprs.storage_free_ratio(inventory.load())


def test_subfolder_growth_reads_the_copy_of_the_alerts_recording_rule(project, storage):
    [expr] = _targets(storage, "Subfolder growth per hour")
    copy = R.copied(R.FOLDER_GROWTH)
    assert expr == f'last_over_time({copy}{{site=~"$site", job=~"$job"}}[$__interval]) * 3600'
    assert project.contract.check(expr) == []
    # The copy is the alert's record evaluated every 5 minutes: the same expression.
    rules = {r.record: r.expr for _, _, r in project.records()}
    assert rules[copy] == rules[R.FOLDER_GROWTH]
    # The rule keeps site, job and folder only: an instance matcher would select nothing.
    assert project.contract.check(expr.replace('job=~"$job"', SCOPE)) != []


def test_the_filesystem_type_filter_is_written_once():
    sources = [*Path(PROJECT_ROOT, "dashboards").glob("*.py"), *Path(PROJECT_ROOT, "rules").glob("*.py")]
    assert sources
    assert [str(p) for p in sources if "fstype" in p.read_text()] == []
