"""generated/prometheus/prometheus.yml (+ file_sd target files) and generated/blackbox/blackbox.yml.

Rendered from the inventory with the jinja2 templates in vvdash/templates/. Job names come
only from vvdash.jobs. Where things run:
- the monitoring stack (Prometheus, Alertmanager, Pushgateway) is central: one of each, at the
  inventory's service address, labelled with the first site;
- the pipeline services, blackbox_exporter and nginx exporter run on each site's first host;
- node_exporter and cAdvisor run on every host of every site.
Every target carries a `site` label. A fleet of FILE_SD_MIN_SITES sites or more gets its
per-site targets in file_sd files (prometheus/targets/<job>.json), so adding a site rewrites a
target file that Prometheus re-reads without a restart.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from collections.abc import Callable

import jinja2

from vvdash.emit.serialize import GENERATED_HEADER, dump_json
from vvdash.jobs import BLACKBOX_SELF_JOB, JOB, PIPELINE_SERVICES

CONFIG_PATH = "prometheus/prometheus.yml"
TARGETS_DIR = "prometheus/targets"
BLACKBOX_PATH = "blackbox/blackbox.yml"
RULE_FILES = ("rules/*.yml",)            # relative to prometheus.yml's folder
FILE_SD_MIN_SITES = 4
PROBE_MODULE = {"http": "dvr_http", "tcp": "dvr_tcp", "icmp": "dvr_icmp"}
DEFAULT_PROBE = "tcp"
PROBE_TIMEOUT = "5s"
# Carries each DVR's site-local blackbox exporter into relabelling (dropped afterwards: `__` prefix).
EXPORTER_LABEL = "__blackbox_exporter"
CENTRAL = ("prometheus", "alertmanager", "pushgateway")
OPTIONAL_PER_HOST = ("cadvisor",)
OPTIONAL_PER_SITE = ("nginx_exporter",)

_env = jinja2.Environment(
    loader=jinja2.PackageLoader("vvdash", "templates"),
    undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
)
# Inline JSON is valid YAML; sorted keys keep the output byte-identical between builds.
_env.filters["tojson"] = lambda value: json.dumps(value, sort_keys=True, ensure_ascii=False)


@dataclass
class Addressing:
    """How targets are named: inventory addresses on hosts, service names inside compose."""

    sites: list[dict]
    site_host: Callable[[dict, dict, str], str]   # (site, host, component) -> host name
    central_host: Callable[[str], str]            # component -> host name


def host_addressing(inv) -> Addressing:
    return Addressing(inv.sites, lambda site, host, component: host["address"],
                      lambda component: inv.service(component)["address"])


def _target(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def probe_target(dvr: dict) -> str:
    """What blackbox_exporter probes for a DVR, in the form its module expects."""
    probe = dvr.get("probe", DEFAULT_PROBE)
    if probe == "http":
        return f"http://{_target(dvr['address'], dvr['port'])}{dvr.get('path', '/')}"
    if probe == "tcp":
        return _target(dvr["address"], dvr["port"])
    return dvr["address"]


def _job(name: str, comment: str, groups: list[dict], **extra) -> dict:
    return {"name": name, "comment": comment, "groups": groups, "file_sd": None, "honor_labels": False,
            "metrics_path": None, "relabel_configs": [], **extra}


def scrape_jobs(inv, addr: Addressing) -> list[dict]:
    """Every scrape job, in a fixed order: central, pipeline, exporters, probes."""
    central_site = addr.sites[0]["name"]
    port = lambda component: inv.service(component)["port"]  # noqa: E731
    enabled = lambda component: inv.service(component)["enabled"]  # noqa: E731

    def central(component: str) -> list[dict]:
        return [{"targets": [_target(addr.central_host(component), port(component))],
                 "labels": {"site": central_site}}]

    def per_site(component: str, first_host_only: bool = True) -> list[dict]:
        groups = []
        for site in addr.sites:
            hosts = site["hosts"][:1] if first_host_only else site["hosts"]
            targets = [_target(addr.site_host(site, h, component), port(component)) for h in hosts]
            groups.append({"targets": targets, "labels": {"site": site["name"]}})
        return groups

    jobs = [
        _job(JOB["prometheus"], "Prometheus itself.", central("prometheus")),
        _job(JOB["alertmanager"], "Alertmanager.", central("alertmanager")),
        _job(JOB["pushgateway"], "Pushgateway: keep the pushing job's own job/instance/site labels.",
             central("pushgateway"), honor_labels=True),
    ]
    jobs += [_job(JOB[s], f"Pipeline service {s} (/metrics).", per_site(s)) for s in PIPELINE_SERVICES]
    jobs.append(_job(JOB["node_exporter"], "Host metrics, every host.", per_site("node_exporter", False)))
    jobs += [_job(JOB[c], f"{c}, every host.", per_site(c, False)) for c in OPTIONAL_PER_HOST if enabled(c)]
    jobs += [_job(JOB[c], f"{c}, each site.", per_site(c)) for c in OPTIONAL_PER_SITE if enabled(c)]
    jobs.append(_job(BLACKBOX_SELF_JOB, "blackbox_exporter's own metrics.", per_site("blackbox_exporter")))
    jobs.append(_probe_job(inv, addr))
    return jobs


def _probe_job(inv, addr: Addressing) -> dict:
    """One target per DVR, probed by its site's blackbox_exporter (the usual relabelling)."""
    groups = []
    port = inv.service("blackbox_exporter")["port"]
    for site in addr.sites:
        exporter = _target(addr.site_host(site, site["hosts"][0], "blackbox_exporter"), port)
        for dvr in site["dvrs"]:
            groups.append({"targets": [probe_target(dvr)], "labels": {
                "site": site["name"], "dvr": dvr["name"],
                "__param_module": PROBE_MODULE[dvr.get("probe", DEFAULT_PROBE)], EXPORTER_LABEL: exporter}})
    relabel = [
        {"source_labels": ["__address__"], "target_label": "__param_target"},
        {"source_labels": ["__param_target"], "target_label": "instance"},
        {"source_labels": [EXPORTER_LABEL], "target_label": "__address__"},
    ]
    return _job(JOB["blackbox_exporter"], "DVR reachability: blackbox_exporter probes each DVR.", groups,
                metrics_path="/probe", relabel_configs=relabel)


def _use_file_sd(jobs: list[dict], addr: Addressing) -> dict[str, bytes]:
    """Move per-site targets into file_sd files (central jobs stay static)."""
    files = {}
    central = {JOB[c] for c in CENTRAL}
    for job in jobs:
        if job["name"] in central:
            continue
        rel = f"targets/{job['name']}.json"
        files[f"prometheus/{rel}"] = dump_json(job["groups"])
        job["file_sd"] = rel
    return files


def render(inv, addr: Addressing, alertmanager_host: str | None = None) -> dict[str, bytes]:
    """prometheus.yml (and its file_sd files) for `addr`; paths relative to the output folder."""
    jobs = scrape_jobs(inv, addr)
    files = _use_file_sd(jobs, addr) if len(addr.sites) >= FILE_SD_MIN_SITES else {}
    am = _target(alertmanager_host or addr.central_host("alertmanager"), inv.service("alertmanager")["port"])
    text = _env.get_template("prometheus.yml.j2").render(
        header=GENERATED_HEADER, jobs=jobs, rule_files=list(RULE_FILES), alertmanagers=[am],
        **{"global": inv["prometheus"]},
    )
    files[CONFIG_PATH] = text.encode()
    return files


def blackbox_config() -> bytes:
    return _env.get_template("blackbox.yml.j2").render(header=GENERATED_HEADER, timeout=PROBE_TIMEOUT).encode()


def emit(project) -> dict[str, bytes]:
    inv = project.inventory
    return {**render(inv, host_addressing(inv)), BLACKBOX_PATH: blackbox_config()}
