"""`vvdash build [--check] [--out DIR]`."""

from __future__ import annotations

import sys
from pathlib import Path

from vvdash.build import build, default_out
from vvdash.errors import EXIT_FINDINGS


def register(sub):
    p = sub.add_parser("build", help="generate dashboards, rules and configs into generated/")
    p.add_argument("--check", action="store_true",
                   help="write nothing; exit 1 listing stale, missing or extra files")
    p.add_argument("--out", metavar="DIR", type=Path, default=None, help="output folder (default: generated/)")
    p.set_defaults(func=run)


def run(args) -> int:
    args.out = args.out or default_out()
    result = build(args.inventory, args.out, check=args.check)
    if args.check:
        if not result.changed:
            print(f"{args.out}: up to date ({len(result.files)} files)")
            return 0
        for kind, paths in (("stale", result.stale), ("missing", result.missing), ("extra", result.extra)):
            for path in paths:
                print(f"{kind}: {args.out / path}", file=sys.stderr)
        print("vvdash: generated files are out of date; run `python -m vvdash build`", file=sys.stderr)
        return EXIT_FINDINGS
    for path in result.written:
        print(f"wrote {args.out / path}")
    for path in result.extra:
        print(f"removed {args.out / path}")
    print(f"{args.out}: {len(result.files)} files, {len(result.written)} written, "
          f"{len(result.extra)} removed")
    return 0
