"""`vvdash` / `python -m vvdash`: one entry point, a subcommand per module in vvdash/commands/ (COMMANDS)."""

from __future__ import annotations

import argparse
import sys

from vvdash import __version__, project_folder
from vvdash.errors import EXIT_INVALID, VVError


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="vvdash",
        description="Monitoring as code for the VV Video AI System.",
        epilog="Exit codes: 0 ok, 1 findings or stale output, 2 invalid input or could not run.",
    )
    parser.add_argument("--version", action="version", version=f"vvdash {__version__}")
    parser.add_argument("--project", metavar="DIR", default=None,
                        help="the project folder: vvdash.yaml, dashboards/, rules/, generated/ "
                             "(default: the nearest folder with a vvdash.yaml from here up)")
    parser.add_argument("--inventory", "-i", metavar="FILE", default=None,
                        help="inventory file (default: vvdash.yaml in the project)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    from vvdash.commands import COMMANDS

    for command in COMMANDS:
        command.register(sub)
    _accept_global_options_after_subcommands(parser)
    return parser


def _subparsers(parser: argparse.ArgumentParser):
    for action in parser._actions:   # argparse keeps subcommands only here
        if isinstance(action, argparse._SubParsersAction):
            for child in dict.fromkeys(action.choices.values()):
                yield child
                yield from _subparsers(child)


def _accept_global_options_after_subcommands(parser: argparse.ArgumentParser) -> None:
    """`vvdash build --inventory FILE` means `vvdash --inventory FILE build`: people write both."""
    for child in _subparsers(parser):
        try:
            child.add_argument("--project", metavar="DIR", default=argparse.SUPPRESS,
                               help="the project folder (also accepted before the command)")
        except argparse.ArgumentError:
            pass
        try:
            child.add_argument("--inventory", "-i", metavar="FILE", default=argparse.SUPPRESS,
                               help="inventory file (also accepted before the command)")
        except argparse.ArgumentError:
            pass  # the subcommand has its own -i: the global option goes before the command


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return EXIT_INVALID
    try:
        project_folder.choose(args.project)
        return int(args.func(args) or 0)
    except VVError as exc:
        for line in str(exc).splitlines():
            print(f"vvdash: error: {line}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("vvdash: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
