"""generated/grafana/provisioning/: the Prometheus datasource and the dashboards provider.

Grafana reads these at start-up (provisioning/datasources/*.yaml, provisioning/dashboards/*.yaml).
The datasource has the fixed uid from the inventory (grafana.datasource_uid), which the
dashboards' `datasource` variable defaults to; the provider loads generated/dashboards/*.json,
mounted at DASHBOARDS_PATH, into the inventory's folder.
"""

from __future__ import annotations

from vvdash.emit.serialize import GENERATED_HEADER, dump_yaml
from vvdash.inventory.grafana_folders import folder_path

# Where Grafana sees generated/dashboards/ (the compose file mounts it there).
DASHBOARDS_PATH = "/var/lib/grafana/dashboards/vvdash"
PROVIDER_NAME = "vvdash"


def datasource(inv) -> dict:
    grafana = inv["grafana"]
    return {
        "apiVersion": 1,
        "deleteDatasources": [],
        "datasources": [{
            "name": "Prometheus",
            "type": "prometheus",
            "uid": grafana["datasource_uid"],
            "access": "proxy",
            "url": inv.service_url("prometheus"),
            "isDefault": True,
            "editable": False,
            # $__rate_interval is derived from the scrape interval Grafana is told about.
            "jsonData": {"timeInterval": inv["prometheus"]["scrape_interval"], "httpMethod": "POST"},
        }],
    }


def dashboards_provider(inv) -> dict:
    grafana = inv["grafana"]
    return {
        "apiVersion": 1,
        "providers": [{
            "name": PROVIDER_NAME,
            "orgId": 1,
            "type": "file",
            "folder": folder_path(grafana)[-1],   # provisioning names one folder: the innermost level
            "folderUid": grafana["folder_uid"],
            "disableDeletion": False,
            "allowUiUpdates": False,
            "updateIntervalSeconds": 30,
            "options": {"path": DASHBOARDS_PATH, "foldersFromFilesStructure": False},
        }],
    }


def emit(project) -> dict[str, bytes]:
    inv = project.inventory
    return {
        "grafana/provisioning/datasources/vvdash.yaml": dump_yaml(datasource(inv), GENERATED_HEADER),
        "grafana/provisioning/dashboards/vvdash.yaml": dump_yaml(dashboards_provider(inv), GENERATED_HEADER),
    }
