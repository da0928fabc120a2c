"""`vvdash pipeline cron NAME`: run one cron-style job once (for cron or a systemd timer).

Each job module in pipeline.services.CRON_JOBS has `run_job(ctx) -> exit code`.
Exit 0 when the job's work succeeded (even if the Pushgateway was down: that is
one logged line), 1 when the work failed, 2 for bad input.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from pathlib import Path

from pipeline.pushgateway import gateway_url
from pipeline.service import setup_logging
from pipeline.services import CRON_JOBS
from vvdash import inventory
from vvdash.errors import VVError


@dataclass
class CronContext:
    inv: inventory.Inventory
    site: dict
    root: Path
    dry_run: bool
    pushgateway_url: str


def storage_root(inv: inventory.Inventory, site: dict, override: Path | None) -> Path:
    root = Path(override) if override else inv.storage_root(site)
    if not root.is_dir():
        where = "--storage-root" if override else f"{inv.name}: sites[{site['name']}].video_storage_root"
        raise VVError(f"{where}: {root} is not a directory")
    return root.resolve()


def context(args) -> CronContext:
    inv = inventory.load(getattr(args, "inventory", None))
    site = inv.site(getattr(args, "site", None))
    return CronContext(inv, site, storage_root(inv, site, getattr(args, "storage_root", None)),
                       bool(getattr(args, "dry_run", False)), gateway_url(inv, getattr(args, "pushgateway", None)))


def run(args) -> int:
    if args.name not in CRON_JOBS:
        raise VVError(f"pipeline cron: unknown job {args.name!r} (known: {', '.join(sorted(CRON_JOBS))})")
    setup_logging(args.name)
    ctx = context(args)
    return importlib.import_module(CRON_JOBS[args.name]).run_job(ctx)
