"""Alert texts (rules/texts/<module>.yaml): each entry read by an alert of its module, and a text
that does not fit its alert is one line naming the module and the alert, exit 2."""

from __future__ import annotations

import importlib

import pytest
import yaml

from rules._common import TEXTS
from tests.helpers import run_vvdash
from vvdash.project import load_project


def test_every_text_belongs_to_an_alert_and_every_alert_has_one():
    load_project()          # builds every module's groups, so each alert has read its entry
    for path in sorted(TEXTS.glob("*.yaml")):
        module = importlib.import_module(f"rules.{path.stem}")
        entries = set(yaml.safe_load(path.read_text()))
        assert module.alert.used == entries, (path.name, entries - module.alert.used)


@pytest.mark.parametrize("edit, error", [
    (("rules/texts/dvr.yaml", "times in the last ${flap_window}.", "times in the last ${flap_windw}."),
     "rules/dvr.py: VVDvrFlapping: dvr.yaml uses ${flap_windw}, which the alert gives no value for"),
    (("rules/dvr.py", 'values={"flap_window": t(\'flap_window\')}', 'values={"flap_window": t(\'flap_window\'), "n": 3}'),
     "rules/dvr.py: VVDvrFlapping: values n are not used in dvr.yaml"),
    (("rules/texts/dvr.yaml", "VVDvrProbeSlow:", "VVDvrProbeSlowly:"),
     "rules/dvr.py: VVDvrProbeSlow: no entry 'VVDvrProbeSlow' in dvr.yaml (rules/texts/)"),
])
def test_a_text_that_does_not_fit_its_alert_is_one_line(project_copy, edit, error):
    path, old, new = edit
    text = (project_copy / path).read_text()
    assert old in text
    (project_copy / path).write_text(text.replace(old, new))
    done = run_vvdash(["build", "--check"], project_copy)
    assert done.returncode == 2, done.stdout + done.stderr
    assert done.stderr.strip() == f"vvdash: error: {error}"
