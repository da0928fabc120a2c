"""`vvdash diff`: unified diff of Grafana's dashboards against the generated ones (see vvdash/ship/diff.py)."""

from __future__ import annotations

import sys

from vvdash.ship import setup
from vvdash.ship.diff import run_diff
from vvdash.ship.report import Reporter


def register(sub):
    p = setup.add_parser(sub, "diff", "show what `vvdash upload` would change in Grafana, as unified diffs",
                         "Compare each generated dashboard with Grafana's copy. Exit 0 no difference, 1 differences, "
                         "2 could not compare.")
    p.set_defaults(func=run)


def run(args) -> int:
    report = Reporter()
    inv, client, dashboards, problems = setup.open_client(args, report)
    try:
        return run_diff(client, dashboards, problems, inv["grafana"]["folder_uid"], args.jobs, sys.stdout,
                        sys.stderr, report)
    finally:
        client.close()
