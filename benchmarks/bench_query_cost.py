"""What each dashboard costs Prometheus over a week and a fleet, measured on backfilled blocks.

Backfills 7 days of series shaped like the running pipeline's (vvdash.cost.series, 15 s
scrapes; each site runs the compose stack's containers, so cAdvisor's series are there too, unless
--containers none) for 1 and 10 sites with `promtool tsdb create-blocks-from openmetrics`, the
recording rules the dashboards read (and those of --before/--compare REF, with REF's own
rules for records since retired) with `create-blocks-from rules`, and lets Prometheus
compact them; the blocks are cached in .cache/query-cost/. Then, on each Prometheus
generation (2.x on PATH, 3.x in .tools/debian-unstable), expands every dashboard as Grafana
does for a 1,600 px screen with every variable on All (the generated dashboards, and with
containers also those built for the inventory with cAdvisor enabled: "after, cAdvisor"),
runs each query (one warm-up, then
RUNS times) with stats=all, and reports per dashboard the median over runs of the summed
server time (execTotalTime) and the samples read; per panel with --panels.

  .venv/bin/python benchmarks/bench_query_cost.py                       # the budget table
  .venv/bin/python benchmarks/bench_query_cost.py --before REF          # also the dashboards of REF
  .venv/bin/python benchmarks/bench_query_cost.py --compare REF         # old vs new panels agree?
  options: --scenarios 24h:1,7d:1,7d:10  --generations 2,3  --runs 3  --panels  --json FILE
           --containers compose|none  --listed K (also with the first K sites listed in the site variable)

Budget: every dashboard <= 300 ms at 7 d x 10 sites and <= 100 ms at 24 h x 1 site.
Exit 1 when a dashboard is over budget (or a compared panel disagrees), 2 on bad input.
"""

from __future__ import annotations

import argparse
import json
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

PROJECT_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_ROOT))

from vvdash.cost import backfill, compare, grafana, measure, records  # noqa: E402
from vvdash.cost.series import Shape, cadvisor_dashboards, compose_containers  # noqa: E402
from vvdash.errors import VVError  # noqa: E402
from vvdash.inventory import load  # noqa: E402

BUDGET_MS = {("7d", 10): 300, ("24h", 1): 100}
RANGES = {"24h": 86400, "7d": 7 * 86400, "2h": 7200, "1h": 3600, "6h": 21600}
DASHBOARDS = PROJECT_ROOT / "generated" / "dashboards"
RULES = PROJECT_ROOT / "generated" / "prometheus" / "rules"
TOLERANCE = 0.05
SETTLE_S = 6 * 3600 + 900      # the longest window a compared panel reads (storage.predict_window), and some


def _dashboards_at(ref: str | None) -> dict[str, dict]:
    if ref is None:
        files = sorted(DASHBOARDS.glob("*.json"))
        return {m["uid"]: m for m in (json.loads(p.read_text()) for p in files)}
    names = subprocess.run(["git", "-C", str(PROJECT_ROOT), "ls-tree", "--name-only", ref, "generated/dashboards/"],
                           capture_output=True, text=True)
    if names.returncode != 0:
        raise VVError(f"--before/--compare {ref}: not a git revision of this repository")
    out = {}
    for name in names.stdout.split():
        text = subprocess.run(["git", "-C", str(PROJECT_ROOT), "show", f"{ref}:{name}"], capture_output=True,
                              text=True, check=True).stdout
        model = json.loads(text)
        out[model["uid"]] = model
    return out


def _dashboards_with_cadvisor() -> dict[str, dict]:
    return cadvisor_dashboards(load(PROJECT_ROOT / "vvdash.yaml"))


def _scenarios(text: str) -> list[tuple[str, int]]:
    out = []
    for part in text.split(","):
        rng, _, sites = part.partition(":")
        if rng not in RANGES or not sites.isdigit() or int(sites) < 1:
            raise VVError(f"--scenarios: {part!r} is not RANGE:SITES with RANGE in {', '.join(RANGES)}")
        out.append((rng, int(sites)))
    return out


def _retired_rules(ref: str, into: Path) -> Path | None:
    """REF's recording rules whose names the current rules no longer define, as one file in `into`,
    so REF's dashboards (--before, --compare) find their records on the same data; None if none."""
    current = records.recorded_names(sorted(RULES.glob("*.yml")))
    names = subprocess.run(["git", "-C", str(PROJECT_ROOT), "ls-tree", "--name-only", ref,
                            "generated/prometheus/rules/"], capture_output=True, text=True, check=True).stdout.split()
    groups = []
    for name in names:
        text = subprocess.run(["git", "-C", str(PROJECT_ROOT), "show", f"{ref}:{name}"], capture_output=True,
                              text=True, check=True).stdout
        for group in (yaml.safe_load(text) or {}).get("groups", []):
            kept = [r for r in group.get("rules", []) if "record" in r and r["record"] not in current]
            if kept:
                groups.append({**group, "name": f"retired_{group['name']}", "rules": kept})
    if not groups:
        return None
    path = into / f"retired-at-{ref}.yml"
    path.write_text(yaml.safe_dump({"groups": groups}, sort_keys=True))
    return path


def _dataset(sites: int, days: float, scrape: float, eval_interval: str, log, refs=(), work: Path | None = None,
             containers: tuple[str, ...] = ()) -> dict:
    """The data set for the current dashboards and those of `refs`: the records any of them reads."""
    rules = sorted(RULES.glob("*.yml"))
    models = list(_dashboards_at(None).values()) + (list(_dashboards_with_cadvisor().values()) if containers else [])
    for ref in refs:
        models += list(_dashboards_at(ref).values())
        retired = _retired_rules(ref, work) if work else None
        rules += [retired] if retired else []
    return backfill.dataset(Shape(sites=sites, scrape_s=scrape, containers=containers), days, rules, records.read_by(models, rules),
                            eval_interval=eval_interval, log=log)


def measure_set(url: str, models: dict[str, dict], end: float, range_s: float, scrape: float, runs: int,
                variables: dict[str, str] | None = None):
    queries = [q for m in models.values()
               for q in grafana.expand(m, end=end, range_s=range_s, scrape_s=scrape, variables=variables)]
    return measure.measure(url, queries, runs=runs)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scenarios", default="24h:1,7d:1,7d:10")
    ap.add_argument("--generations", default="2,3")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--before", metavar="REF", help="also measure the dashboards of this git revision")
    ap.add_argument("--compare", metavar="REF", help="check each changed panel against its version at REF")
    ap.add_argument("--panels", action="store_true", help="print the cost of every panel")
    ap.add_argument("--json", metavar="FILE", help="write every figure to FILE")
    ap.add_argument("--days", type=float, default=7.0, help="days backfilled (the longest range must fit)")
    ap.add_argument("--eval-interval", default="15s", help="rule evaluation interval of the records' backfill")
    ap.add_argument("--listed", type=int, metavar="K",
                    help="also measure, where there are more than K sites, with the first K listed in the site "
                         "variable instead of All (the same budget)")
    ap.add_argument("--containers", choices=("compose", "none"), default="compose",
                    help="containers cAdvisor reports at each site: the compose stack's (default) or none")
    ap.add_argument("--fleet-eval-interval", help="the same for datasets of several sites (default: --eval-interval)")
    args = ap.parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))     # stop servers on the way out
    try:
        scenarios = _scenarios(args.scenarios)
        generations = [int(g) for g in args.generations.split(",")]
        if any(g not in (2, 3) for g in generations):
            raise VVError("--generations: expected 2 and/or 3")
        scrape = 15.0
        containers = compose_containers(load(PROJECT_ROOT / "vvdash.yaml")) if args.containers == "compose" else ()
        sets = {"after": _dashboards_at(None)}
        if containers:
            sets["after, cAdvisor"] = _dashboards_with_cadvisor()
        if args.before:
            sets = {"before": _dashboards_at(args.before), **sets}
        old = _dashboards_at(args.compare) if args.compare else None
        report, failed = [], False
        for sites in sorted({s for _, s in scenarios}):
            interval = args.fleet_eval_interval if sites > 1 and args.fleet_eval_interval else args.eval_interval
            refs = sorted({r for r in (args.before, args.compare) if r})
            with tempfile.TemporaryDirectory(prefix="vvdash-cost-rules-") as rules_tmp:
                meta = _dataset(sites, args.days, scrape, interval, lambda m: print(m, flush=True), refs,
                                Path(rules_tmp), containers)
            print(f"data: {sites} site(s), {meta['series_per_site']} series per site "
                  f"({len(containers)} containers), {meta['days']:g} days, "
                  f"{meta['raw_samples']:,} raw samples, {meta['records']} records evaluated every "
                  f"{meta['eval_interval']}", flush=True)
            for gen in generations:
                prom = backfill.binary("prometheus", gen)
                ver = backfill.version(prom)
                with tempfile.TemporaryDirectory(prefix="vvdash-cost-") as tmp:
                    data = backfill.clone(Path(meta["data"]), Path(tmp))
                    with backfill.Server(prom, data, Path(tmp) / "prometheus.log") as server:
                        for rng, n in scenarios:
                            if n != sites:
                                continue
                            runs = [(label, models, None) for label, models in sets.items()]
                            if args.listed and sites > args.listed:
                                names = Shape(sites=sites).site_names()[:args.listed]
                                runs.append((f"after, {args.listed} of {sites} sites listed", sets["after"],
                                             {"site": grafana.multi_value(names)}))
                            for label, models, variables in runs:
                                costs = measure_set(server.url, models, meta["end"], RANGES[rng], scrape, args.runs,
                                                    variables)
                                dash = measure.per_dashboard(costs)
                                budget = BUDGET_MS.get((rng, sites))
                                for uid, fig in dash.items():
                                    ms = fig["seconds"] * 1000
                                    over = budget is not None and ms > budget and label.startswith("after")
                                    failed |= over
                                    report.append({"set": label, "prometheus": ver, "range": rng, "sites": sites,
                                                   "dashboard": uid, "ms": round(ms, 1), "samples": fig["samples"],
                                                   "queries": fig["queries"], "budget_ms": budget, "over": over})
                                total = sum(f["seconds"] for f in dash.values()) * 1000
                                print(f"\n{label}: Prometheus {ver}, {rng} x {sites} site(s), median of {args.runs}"
                                      + (f", budget {budget} ms per dashboard" if budget else ""))
                                print(f"  {'dashboard':16} {'server ms':>10} {'samples':>13} {'queries':>8}")
                                for uid, fig in dash.items():
                                    mark = "  OVER" if budget and fig["seconds"] * 1000 > budget else ""
                                    print(f"  {uid:16} {fig['seconds'] * 1000:10.1f} {fig['samples']:13,} "
                                          f"{fig['queries']:8}{mark}")
                                print(f"  {'all':16} {total:10.1f}")
                                if args.panels:
                                    panels = sorted(measure.per_panel(costs).items(), key=lambda kv: -kv[1]["seconds"])
                                    for (uid, title), fig in panels:
                                        print(f"    {uid:16} {title[:44]:44} {fig['seconds'] * 1000:8.1f} ms "
                                              f"{fig['samples']:12,} samples")
                                        report.append({"set": label, "prometheus": ver, "range": rng, "sites": sites,
                                                       "dashboard": uid, "panel": title,
                                                       "ms": round(fig["seconds"] * 1000, 2),
                                                       "samples": fig["samples"]})
                            for label in (k for k in sets if k.startswith("after") and old is not None):
                                failed |= _compare(old, sets[label], server.url, meta, RANGES[rng], scrape,
                                                   f"Prometheus {ver}, {rng} x {sites} site(s), {label}", report)
        if args.json:
            Path(args.json).write_text(json.dumps(report, indent=1))
        return 1 if failed else 0
    except VVError as exc:
        print(f"bench_query_cost: error: {exc}", file=sys.stderr)
        return 2


def _compare(old: dict, new: dict, url: str, meta: dict, range_s: float, scrape: float, where: str,
             report: list) -> bool:
    end = meta["end"]
    since = meta["start"] + SETTLE_S
    print(f"\nold vs new panels, {where} (tolerance {TOLERANCE:.0%} of the larger value, or of the line's "
          f"largest where a line nears zero; counts per interval per second of their window; points from "
          f"{SETTLE_S / 3600:g} h after the start of the data, when every window is full):")
    failed = False
    for uid, model in new.items():
        before = old.get(uid)
        if before is None:
            continue
        old_panels = {p.get("title"): p for p in _panels(before)}
        for panel in _panels(model):
            prev = old_panels.get(panel.get("title"))
            if prev is None or [t.get("expr") for t in prev.get("targets") or []] == \
                    [t.get("expr") for t in panel.get("targets") or []]:
                continue
            result = compare.agree(prev, _expand_panel(before, prev, end, range_s, scrape), panel,
                                   _expand_panel(model, panel, end, range_s, scrape), url, TOLERANCE, since=since)
            failed |= not (result.ok or result.narrower or result.empty)
            status = "ok" if result.ok else "narrower" if result.narrower else "empty" if result.empty else "DIFFERS"
            extra = f"; drawn by one only: {', '.join(result.missing)}" if result.missing else ""
            print(f"  {status:7} {uid:16} {panel.get('title', '')[:44]:44} worst {result.worst:8.2%} "
                  f"over {result.compared} points{extra}")
            report.append({"compare": where, "dashboard": uid, "panel": panel.get("title"), "status": status,
                           "worst": result.worst, "points": result.compared, "missing": result.missing})
    return failed


def _panels(model):
    from vvdash.model.dashboards import iter_panels
    return [p for p in iter_panels(model) if p.get("targets")]


def _expand_panel(model: dict, panel: dict, end: float, range_s: float, scrape: float):
    return [q for q in grafana.expand({**model, "panels": [panel]}, end=end, range_s=range_s, scrape_s=scrape)]


if __name__ == "__main__":
    sys.exit(main())
