"""`vvdash demo`: what `make demo` runs."""

from vvdash.build import DEFAULT_OUT, build


def register(sub):
    p = sub.add_parser("demo", help="build everything and show what was generated")
    p.set_defaults(func=run)


def run(args) -> int:
    result = build(args.inventory, DEFAULT_OUT)
    print(f"vvdash demo: {len(result.files)} files in {DEFAULT_OUT} ({len(result.written)} rewritten)")
    for path in sorted(result.files):
        if not path.startswith("."):
            print(f"  {DEFAULT_OUT.name}/{path}")
    return 0
