"""What `upload` and `diff` share: their common flags and turning them into a client and a dashboard list."""

from __future__ import annotations

import subprocess
from pathlib import Path

from vvdash import inventory, project_folder
from vvdash.errors import VVError
from vvdash.ship import connection, local
from vvdash.ship.changes import UPLOAD_MESSAGE
from vvdash.ship.client import GrafanaClient
from vvdash.ship.report import Reporter

DEFAULT_JOBS = 4


def add_parser(sub, name: str, help: str, description: str):
    """A Grafana command's parser (`upload`, `diff`) with the options both take."""
    parser = sub.add_parser(name, help=help, description=description)
    parser.add_argument("--dashboards", metavar="DIR", type=Path, default=None,
                        help="folder of dashboard JSON files (default: generated/dashboards)")
    parser.add_argument("--jobs", "-j", metavar="N", type=int, default=DEFAULT_JOBS,
                        help=f"dashboards handled at once (default: {DEFAULT_JOBS})")
    connection.add_arguments(parser)
    return parser


def open_client(args, report: Reporter):
    """(inventory, client, dashboards, problems); VVError (exit 2) when the run cannot start."""
    inv = inventory.load(args.inventory)
    if not 1 <= args.jobs <= 32:
        raise VVError(f"--jobs: expected 1 to 32, got {args.jobs}")
    conn = connection.resolve(args, inv)
    for warning in conn.warnings:
        report.note(warning)
    args.dashboards = args.dashboards or project_folder.path(local.DEFAULT_DIR)
    dashboards, problems = local.load(args.dashboards)
    client = GrafanaClient(conn, notify=report.note, pool_size=args.jobs)
    return inv, client, dashboards, problems


def commit_message(folder: Path) -> str:
    """'vvdash upload (git <commit>)' when the dashboards folder is in a git checkout."""
    def git(*argv: str) -> str | None:
        try:
            proc = subprocess.run(["git", "-C", str(folder), *argv], capture_output=True, text=True, timeout=10)
        except (OSError, subprocess.TimeoutExpired):
            return None
        return proc.stdout.strip() if proc.returncode == 0 else None

    commit = git("rev-parse", "--short=12", "HEAD")
    if not commit:
        return UPLOAD_MESSAGE
    dirty = git("status", "--porcelain", "--", ".")
    return f"{UPLOAD_MESSAGE} (git {commit}{', with uncommitted changes' if dirty else ''})"
