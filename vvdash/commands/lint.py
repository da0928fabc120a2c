"""`vvdash lint [dashboards] [--format text|github] [--junit FILE]`."""

from __future__ import annotations

from pathlib import Path

from vvdash.errors import EXIT_FINDINGS, EXIT_OK


def register(sub):
    p = sub.add_parser("lint", help="check rules, Alertmanager config, routing and dashboards (for CI)",
                       description="Render the current definitions into a temporary folder and check them "
                                   "with promtool, amtool and vvdash's own checks. Exit 0 clean, 1 findings, "
                                   "2 could not run.")
    p.add_argument("target", nargs="?", choices=["all", "dashboards"], default="all",
                   help="'dashboards' runs only the dashboard linter (default: all)")
    p.add_argument("--format", choices=["text", "github"], default="text",
                   help="github: workflow annotations (::error file=...::)")
    p.add_argument("--junit", metavar="FILE", type=Path, help="also write a JUnit XML report")
    p.add_argument("--prometheus", type=int, choices=[3, 2], default=None, metavar="3|2",
                   help="run promtool/amtool of this generation only (default: every generation there is)")
    p.add_argument("--versions", action="store_true",
                   help="print which promtool, amtool, Prometheus, Alertmanager and exporters each "
                        "generation uses and from where, then exit")
    p.set_defaults(func=run)


def run(args) -> int:
    from vvdash.lint import report
    from vvdash.lint.run import lint_all, lint_dashboards

    if args.versions:
        from vvdash.generations import versions_report

        print("\n".join(versions_report()))
        return EXIT_OK
    results = (lint_dashboards(args.inventory) if args.target == "dashboards"
               else lint_all(args.inventory, prometheus=args.prometheus))
    print(report.github(results) if args.format == "github" else report.text(results))
    if args.junit:
        report.junit(results, args.junit)
    return EXIT_FINDINGS if any(r.issues for r in results) else EXIT_OK
