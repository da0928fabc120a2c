"""generated/kubernetes/: the same rules as Prometheus Operator PrometheusRule resources.

One resource per rule file: `vv-site-<module>` for the Prometheus of each server site (the
operator selects them by the `vvdash.io/role: site` label), `vv-ruler-<file>` for the ruler
(`vvdash.io/role: ruler`; Thanos ruler under the operator selects PrometheusRules as well).
"""

from __future__ import annotations

from vvdash.emit.serialize import GENERATED_HEADER, dump_yaml
from vvdash.fleet import central
from vvdash.fleet.site_rules import site_rule_files

K8S_DIR = "kubernetes"
API_VERSION = "monitoring.coreos.com/v1"
KIND = "PrometheusRule"
ROLE_LABEL = "vvdash.io/role"


def resource_name(*parts: str) -> str:
    """A Kubernetes object name (DNS-1123 subdomain: lowercase letters, digits, '-' and '.')."""
    return "-".join(parts).replace("_", "-")


def resource(name: str, role: str, rule_file_dict: dict) -> dict:
    return {"apiVersion": API_VERSION, "kind": KIND,
            "metadata": {"name": name, "labels": {"app.kubernetes.io/part-of": "vvdash", ROLE_LABEL: role}},
            "spec": rule_file_dict}


def resources(project) -> list[dict]:
    from vvdash.emit.rules import rule_file_dict  # noqa: PLC0415  (the emitter imports the fleet)

    inv = project.inventory
    out = [resource(resource_name("vv-site", rf.module), "site", rule_file_dict(rf, inv))
           for rf in site_rule_files(project.rule_files)]
    out += [resource(resource_name("vv-ruler", rf.module), "ruler", rule_file_dict(rf, inv)) for rf in central.rule_files(project)]
    return out


def render(project) -> dict[str, bytes]:
    return {f"{K8S_DIR}/{r['metadata']['name']}.yaml": dump_yaml(r, GENERATED_HEADER, sort_keys=False)
            for r in resources(project)}
