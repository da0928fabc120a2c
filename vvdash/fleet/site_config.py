"""generated/fleet/sites/<site>/prometheus.yml: one site's Prometheus, server or agent.

It scrapes only its own site's targets (the single-site scrape jobs, with the site's own
Prometheus and Pushgateway in place of the central ones), labels everything it ships with
`external_labels: {site: ...}` and remote-writes into the store. Only the catalog's series
leave the site: recorded series are made again by the store's ruler, and anything nothing
reads (Go runtime, scrape internals) stays local.
"""

from __future__ import annotations

import re

from vvdash.emit.prometheus_config import Addressing, scrape_jobs
from vvdash.emit.serialize import GENERATED_HEADER, dump_yaml
from vvdash.fleet.site_rules import site_rule_files
from vvdash.inventory import fleet as fleet_inv
from vvdash.jobs import JOB

SITES_DIR = "fleet/sites"
RULES_GLOB = "rules/*.yml"            # beside each server site's prometheus.yml
REMOTE_NAME = "vv-store"
# Central components a site does not scrape: the Alertmanager cluster is the store side's.
NOT_AT_SITE = (JOB["alertmanager"],)


def shipped_names(catalog) -> list[str]:
    """Every series name the catalog defines (histograms as _bucket, _sum, _count): what the
    dashboards, rules and the store's ruler may read."""
    return sorted(catalog.series)


def keep_regex(catalog) -> str:
    return "|".join(re.escape(name) for name in shipped_names(catalog))


def site_addressing(inv, site: dict) -> Addressing:
    """Everything this site scrapes is on its own hosts; its Prometheus and Pushgateway on the first."""
    first = site["hosts"][0]["address"]
    return Addressing([site], lambda s, host, component: host["address"], lambda component: first)


def _scrape_config(job: dict) -> dict:
    out: dict = {"job_name": job["name"]}
    if job["honor_labels"]:
        out["honor_labels"] = True
    if job["metrics_path"]:
        out["metrics_path"] = job["metrics_path"]
    out["static_configs"] = [{"targets": g["targets"], "labels": g["labels"]} for g in job["groups"]]
    if job["relabel_configs"]:
        out["relabel_configs"] = job["relabel_configs"]
    return out


def remote_write(inv, catalog) -> dict:
    fleet = inv["fleet"]
    store = fleet["store"]
    out: dict = {"url": store["write_url"], "name": REMOTE_NAME}
    if "tenant" in store:
        out["headers"] = {store.get("tenant_header", fleet_inv.DEFAULT_TENANT_HEADER): store["tenant"]}
    auth = store.get("auth", {})
    if "bearer_token" in auth:
        out["authorization"] = {"type": "Bearer", "credentials_file": auth["bearer_token"]["file"]}
    if "basic_auth" in auth:
        out["basic_auth"] = {"username": auth["basic_auth"]["username"],
                             "password_file": auth["basic_auth"]["password"]["file"]}
    out["queue_config"] = fleet_inv.queue(inv)
    out["write_relabel_configs"] = [
        {"source_labels": ["__name__"], "regex": keep_regex(catalog), "action": "keep"},
    ]
    return out


def config(inv, catalog, site: dict, jobs: list[dict] | None = None) -> dict:
    """The site's prometheus.yml as a dict; `jobs` replaces its scrape jobs (a simulated site)."""
    server = fleet_inv.mode(site) == "server"
    if jobs is None:
        jobs = [j for j in scrape_jobs(inv, site_addressing(inv, site)) if j["name"] not in NOT_AT_SITE]
    glob = {"scrape_interval": inv["prometheus"]["scrape_interval"], "external_labels": {"site": site["name"]}}
    if server:
        glob["evaluation_interval"] = inv["prometheus"]["evaluation_interval"]
    out: dict = {"global": glob}
    if server:
        # Site-local alerts go straight to every member of the central Alertmanager cluster.
        out["rule_files"] = [RULES_GLOB]
        out["alerting"] = {"alertmanagers": [{"static_configs": [{"targets": list(inv["fleet"]["alertmanagers"])}]}]}
    out["scrape_configs"] = [_scrape_config(j) for j in jobs]
    out["remote_write"] = [remote_write(inv, catalog)]
    return out


def render(project) -> dict[str, bytes]:
    from vvdash.emit.rules import rule_file_dict  # noqa: PLC0415  (the emitter imports the fleet)

    inv = project.inventory
    files: dict[str, bytes] = {}
    local = site_rule_files(project.rule_files)
    for site in inv.sites:
        base = f"{SITES_DIR}/{site['name']}"
        header = (f"{GENERATED_HEADER}\nSite {site['name']}: Prometheus as {fleet_inv.mode(site)}"
                  + (" (run with --agent on 3.x, --enable-feature=agent on 2.x)." if fleet_inv.mode(site) == "agent"
                     else "; its site-local alerts are in rules/."))
        files[f"{base}/prometheus.yml"] = dump_yaml(config(inv, project.catalog, site), header, sort_keys=False)
        if fleet_inv.mode(site) == "server":
            for rf in local:
                files[f"{base}/rules/{rf.module}.yml"] = dump_yaml(rule_file_dict(rf, inv), GENERATED_HEADER)
    return files
