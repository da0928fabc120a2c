"""`vvdash catalog [--format table|json|markdown]`."""

from vvdash.catalog import load
from vvdash.catalog.render import as_json, as_markdown, as_table


def register(sub):
    p = sub.add_parser("catalog", help="print the metric catalog")
    p.add_argument("--format", choices=("table", "json", "markdown"), default="table")
    p.set_defaults(func=run)


def run(args) -> int:
    render = {"table": as_table, "json": as_json, "markdown": as_markdown}[args.format]
    print(render(load()), end="")
    return 0
