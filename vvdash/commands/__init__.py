"""CLI subcommands, a module each: `register(subparsers)` adds its parser and sets `func` on it.

vvdash/cli.py registers COMMANDS in this order (the order `vvdash --help` lists them).
"""

from vvdash.commands import (
    alertmanager_config, build, catalog, demo, diff, fleet, lint, pipeline, preview, stack, upload,
)

COMMANDS = (alertmanager_config, build, catalog, demo, diff, fleet, lint, pipeline, preview, stack, upload)
