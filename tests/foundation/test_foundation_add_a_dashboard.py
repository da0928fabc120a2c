"""README "How to add a dashboard", followed literally in a copy of the project: one new module
is the whole change (no uid to register elsewhere), and an alert can link to it by name."""

from __future__ import annotations

import json

from tests.helpers import run_vvdash

DVR_HEALTH = '''
"""DVR health: is each DVR connected, and how long its probe takes."""

from dashboards._common import UP_DOWN, Scope, above, build, jobs, q, stat, timeseries
from vvdash.model.dashboards import Unit


def dashboard(inv):
    t = inv.thresholds("dvr")
    sc = Scope(jobs("agent_dvr"))
    return build(
        inv, module=__name__, title="VV / DVR health",
        description="Connection state of every DVR.", tags=("dvr",), scope=sc,
        panels=[
            stat("DVRs connected", "Lowest connection state across the DVRs shown (1 connected).", Unit.NONE,
                 [q(f"min({sc.m('vv_agent_dvr_connection_status')})", instant=True)], mappings=UP_DOWN,
                 thresholds=above(None, 1), w=6),
            timeseries("Connection errors per minute",
                       "Failed or dropped connections per minute, per DVR. Red at "
                       "dvr.connection_errors_per_minute, the alert's threshold.",
                       Unit.PER_MINUTE, [q(f"sum by (dvr) ({sc.rate('vv_agent_dvr_connection_errors_total')}) * 60",
                                           "{{dvr}}")],
                       thresholds=above(None, t("connection_errors_per_minute")), w=18),
        ])
'''


def test_adding_a_dashboard_is_adding_one_module(project_copy, tmp_path):
    (project_copy / "dashboards" / "dvr_health.py").write_text(DVR_HEALTH)
    # An alert links to it by its module name, as the README's "How to add a rule" says.
    rules = project_copy / "rules" / "dvr.py"
    text = rules.read_text()
    assert text.count('dashboard_uid("tv_dvr")') == 1, "the DVR alerts name their dashboard once"
    rules.write_text(text.replace('dashboard_uid("tv_dvr")', 'dashboard_uid("dvr_health")'))

    lint = run_vvdash(["lint", "dashboards"], project_copy)
    assert lint.returncode == 0, lint.stdout + lint.stderr
    out = tmp_path / "out"
    result = run_vvdash(["build", "--out", str(out)], project_copy)
    assert result.returncode == 0, result.stdout + result.stderr
    model = json.loads((out / "dashboards" / "vv-dvr-health.json").read_text())
    assert model["uid"] == "vv-dvr-health" and model["title"] == "VV / DVR health"
    assert [p["title"] for p in model["panels"]] == ["DVRs connected", "Connection errors per minute"]
    rules_yml = (out / "prometheus" / "rules" / "dvr.yml").read_text()
    assert "/d/vv-dvr-health" in rules_yml and "/d/vv-tv-dvr" not in rules_yml


def test_an_alert_linking_to_a_dashboard_module_that_does_not_exist_fails_the_build(project_copy, tmp_path):
    rules = project_copy / "rules" / "dvr.py"
    rules.write_text(rules.read_text().replace('dashboard_uid("tv_dvr")', 'dashboard_uid("dvr_health")'))
    result = run_vvdash(["build", "--out", str(tmp_path / "out")], project_copy)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "rules/dvr.py / vv_dvr_alerts / VVDvrDisconnected: dashboard 'vv-dvr-health' does not exist" in result.stderr
    assert not (tmp_path / "out").exists()
