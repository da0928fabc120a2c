"""`vvdash upload`: push generated dashboards to Grafana (see vvdash/ship/)."""

from __future__ import annotations

from vvdash.ship import setup
from vvdash.ship.connection import check_url
from vvdash.inventory.grafana_folders import folder_path
from vvdash.ship.report import Reporter
from vvdash.ship.sync import Options, upload

DATASOURCE_NAME = "VV Prometheus"


def register(sub):
    p = setup.add_parser(sub, "upload", "upload generated dashboards to Grafana over its HTTP API",
                         "Upload generated/dashboards/*.json to Grafana: folder by uid, a managed-by tag, unchanged "
                         "dashboards skipped. Exit 0 all done, 1 some failed, 2 could not start.")
    p.add_argument("--dry-run", action="store_true", help="say what would change; send no write")
    p.add_argument("--prune", action="store_true",
                   help="delete dashboards tagged managed-by:vvdash in the inventory's Grafana folder "
                        "(grafana.folder_uid) that are not in the dashboards folder (never anything else; "
                        "nothing when any upload failed)")
    p.add_argument("--force", action="store_true",
                   help="overwrite dashboards changed in Grafana since vvdash's last upload (left alone and "
                        "reported otherwise, exit 1), dashboards Grafana stores in the v2 format, and a dashboard "
                        "with the same uid that vvdash did not upload")
    p.add_argument("--fail-fast", action="store_true", help="stop at the first failed dashboard")
    p.add_argument("--message", metavar="TEXT", help="version message (default: the git commit of the dashboards)")
    p.add_argument("--datasource", action="store_true",
                   help="also ensure the Prometheus datasource with the inventory's grafana.datasource_uid")
    p.add_argument("--prometheus-url", metavar="URL",
                   help="Prometheus URL as Grafana reaches it, for --datasource (default: the inventory's)")
    p.set_defaults(func=run)


def run(args) -> int:
    report = Reporter(dry_run=args.dry_run)
    inv, client, dashboards, problems = setup.open_client(args, report)
    grafana = inv["grafana"]
    datasource = None
    if args.datasource:
        url = check_url(args.prometheus_url, "--prometheus-url") if args.prometheus_url else \
            inv.service_url("prometheus")
        datasource = {"uid": grafana["datasource_uid"], "name": DATASOURCE_NAME, "type": "prometheus",
                      "access": "proxy", "url": url, "isDefault": False,
                      "jsonData": {"httpMethod": "POST", "timeInterval": inv["prometheus"]["scrape_interval"]}}
    opts = Options(folder_uid=grafana["folder_uid"], folder_path=folder_path(grafana),
                   message=args.message or setup.commit_message(args.dashboards), dry_run=args.dry_run,
                   prune=args.prune, force=args.force, fail_fast=args.fail_fast, jobs=args.jobs,
                   datasource=datasource)
    try:
        result = upload(client, dashboards, problems, opts, report)
    finally:
        client.close()
    report.summary(result.outcomes)
    return result.exit_code
