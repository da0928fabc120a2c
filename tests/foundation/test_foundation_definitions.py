"""Typed definitions: rules are built by keyword, and what Prometheus would refuse cannot be built."""

from __future__ import annotations

import pytest

from vvdash import inventory
from vvdash.errors import DefinitionError, VVError
from vvdash.model.rules import Alert, Group, Record, Runbook, Severity

BOOK = Runbook(meaning="m", causes=("c",), checks=("k",))


def _alert(**changes) -> Alert:
    fields = {"alert": "VVZzTest", "expr": "vector(1)", "severity": Severity.INFO, "summary": "Test.",
              "description": "Test {{ $value }}.", "dashboard": "vv-overview", "runbook": BOOK, **changes}
    return Alert(**fields)


def test_rules_take_keywords_only():
    with pytest.raises(TypeError):
        Alert("VVZzTest", "vector(1)", Severity.INFO, "Test.", "Test {{ $value }}.", "vv-overview", BOOK)
    with pytest.raises(TypeError):
        Record("job:vv_zz:rate5m", "vector(1)")
    assert _alert(for_="5m").for_ == "5m"


@pytest.mark.parametrize(("changes", "message"), [
    ({"severity": "critical"}, "VVZzTest: severity 'critical' is not a Severity (Severity.CRITICAL, "),
    ({"for_": "5 min"}, "VVZzTest: for '5 min' is not a Prometheus duration such as 30s, 5m, 4h"),
    ({"for_": "5m30m"}, "VVZzTest: for '5m30m' is not a Prometheus duration"),
    ({"for_": ""}, "VVZzTest: for '' is not a Prometheus duration"),
    ({"keep_firing_for": "1h1h"}, "VVZzTest: keep_firing_for '1h1h' is not a Prometheus duration"),
])
def test_an_alert_prometheus_would_refuse_cannot_be_built(changes, message):
    with pytest.raises(DefinitionError) as err:
        _alert(**changes)
    assert str(err.value).startswith(message)


def test_a_group_interval_is_a_prometheus_duration():
    assert Group(name="g", rules=(), interval="5m").interval == "5m"
    with pytest.raises(DefinitionError, match="group g: interval '5 m' is not a Prometheus duration"):
        Group(name="g", rules=(), interval="5 m")


def test_the_severities_are_the_ones_alertmanager_routes():
    assert [s.value for s in Severity] == ["critical", "warning", "info"]


def test_one_threshold_reader_names_an_unknown_key_or_area():
    inv = inventory.load()
    t = inv.thresholds("dvr")
    assert t("disconnected_for") == inv["thresholds"]["dvr"]["disconnected_for"]
    with pytest.raises(VVError, match=r"thresholds\.dvr: no key 'disconected_for' \(known: .*disconnected_for"):
        t("disconected_for")
    with pytest.raises(VVError, match=r"thresholds: no area 'dvrs'"):
        inv.thresholds("dvrs")
