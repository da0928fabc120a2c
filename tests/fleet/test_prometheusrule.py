"""generated/kubernetes/ PrometheusRule resources, against the fields the Prometheus Operator's
CRD (monitoring.coreos.com/v1, PrometheusRule) documents: every group named (names unique, a
list map keyed by name), every rule an `expr` and exactly one of `record`/`alert`, durations in
Prometheus's pattern, labels and annotations string maps; object names DNS-1123 subdomains."""

from __future__ import annotations

import re

import jsonschema
import pytest
import yaml


DURATION = r"^(0|(([0-9]+)y)?(([0-9]+)w)?(([0-9]+)d)?(([0-9]+)h)?(([0-9]+)m)?(([0-9]+)s)?(([0-9]+)ms)?)$"
STRINGS = {"type": "object", "additionalProperties": {"type": "string"}}
RULE = {"type": "object", "required": ["expr"], "additionalProperties": False, "properties": {
    "alert": {"type": "string"}, "record": {"type": "string"},
    "expr": {"anyOf": [{"type": "integer"}, {"type": "string"}]},
    "for": {"type": "string", "pattern": DURATION},
    "keep_firing_for": {"type": "string", "minLength": 1, "pattern": DURATION},
    "labels": STRINGS, "annotations": STRINGS},
    "oneOf": [{"required": ["alert"], "not": {"required": ["record"]}},
              {"required": ["record"], "not": {"required": ["alert"]},
               "properties": {"for": False, "annotations": False, "keep_firing_for": False}}]}
GROUP = {"type": "object", "required": ["name"], "additionalProperties": False, "properties": {
    "name": {"type": "string", "minLength": 1}, "interval": {"type": "string", "pattern": DURATION},
    "limit": {"type": "integer"}, "partial_response_strategy": {"type": "string", "pattern": "(?i)^(abort|warn)?$"},
    "query_offset": {"type": "string", "pattern": DURATION}, "labels": STRINGS,
    "rules": {"type": "array", "items": RULE}}}
PROMETHEUS_RULE = {"type": "object", "required": ["apiVersion", "kind", "metadata", "spec"], "properties": {
    "apiVersion": {"const": "monitoring.coreos.com/v1"}, "kind": {"const": "PrometheusRule"},
    "metadata": {"type": "object", "required": ["name"], "properties": {
        "name": {"type": "string", "maxLength": 253,
                 "pattern": r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$"},
        "labels": STRINGS}},
    "spec": {"type": "object", "additionalProperties": False,
             "properties": {"groups": {"type": "array", "items": GROUP}}}}}
METRIC_NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")


def _resources(out):
    return {p.name: yaml.safe_load(p.read_text()) for p in sorted((out / "kubernetes").glob("*.yaml"))}


def test_every_resource_fits_the_crd(fleet_out):
    resources = _resources(fleet_out)
    assert any(n.startswith("vv-site-") for n in resources) and "vv-ruler-fleet.yaml" in resources
    for name, res in resources.items():
        jsonschema.validate(res, PROMETHEUS_RULE)
        groups = [g["name"] for g in res["spec"]["groups"]]
        assert len(groups) == len(set(groups)), name          # x-kubernetes-list-map-keys: name
        for g in res["spec"]["groups"]:
            for r in g["rules"]:
                assert METRIC_NAME.fullmatch(r.get("record", "ok")), r


def test_resources_hold_the_same_rules_as_the_files(fleet_out):
    resources = _resources(fleet_out)
    ruler = yaml.safe_load((fleet_out / "fleet/ruler/fleet.yml").read_text())
    assert resources["vv-ruler-fleet.yaml"]["spec"] == ruler
    site = yaml.safe_load((fleet_out / "fleet/sites/local/rules/storage.yml").read_text())
    assert resources["vv-site-storage.yaml"]["spec"] == site


@pytest.mark.parametrize("broken", [
    lambda r: r["spec"]["groups"][0]["rules"][0].update(alert="X", record="x"),
    lambda r: r["spec"]["groups"][0]["rules"][0].pop("expr"),
    lambda r: r["metadata"].update(name="vv_ruler_fleet"),
    lambda r: r["spec"]["groups"][0].pop("name"),
    lambda r: r["spec"]["groups"][0]["rules"][-1].update({"for": "5 minutes"}),
])
def test_the_shape_check_refuses_what_the_operator_would(fleet_out, broken):
    res = _resources(fleet_out)["vv-ruler-fleet.yaml"]
    broken(res)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(res, PROMETHEUS_RULE)
