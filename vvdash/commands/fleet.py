"""`vvdash fleet up|down|status`: the distributed store, the central Alertmanager cluster and N
simulated sites on 127.0.0.1 (vvdash/fleet_stack/runtime.py)."""

from __future__ import annotations

import json

from vvdash.commands.stack import add_actions, ignore_stop_signals, raise_on_stop_signals
from vvdash.errors import EXIT_FINDINGS
from vvdash.fleet_stack.runtime import DEFAULT_WORKDIR, Fleet, attach


def register(sub):
    p = sub.add_parser("fleet", help="run a fleet of simulated sites into a distributed store locally")
    add_actions(p, "fleet_command", DEFAULT_WORKDIR, _up_options, {
        "up": ("start the store, the Alertmanager cluster and N sites; Ctrl-C stops them", run_up),
        "down": ("stop everything `fleet up` started", run_down),
        "status": ("the sites the store hears from, and the ruler's firing alerts", run_status)})


def _up_options(sp) -> None:
    sp.add_argument("--sites", type=int, default=3, metavar="N", help="simulated sites (default: 3)")
    sp.add_argument("--detach", action="store_true", help="start and return (stop with `fleet down`)")


def run_up(args) -> int:
    fleet = Fleet(args.workdir)
    raise_on_stop_signals()
    try:
        fleet.up(max(1, args.sites), args.inventory)
        p = fleet.ports
        print(f"fleet: {args.sites} sites, 3 receivers, query http://127.0.0.1:{p.query_http}, "
              f"ruler http://127.0.0.1:{p.rule_http}, alertmanagers "
              + ", ".join(f"http://127.0.0.1:{a}" for a in p.am_http))
        if args.detach:
            fleet.procs.clear()          # keep them running; `fleet down` stops them by pid
            return 0
        import threading
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        ignore_stop_signals()
        if fleet.procs:
            fleet.down()
    return 0


def run_down(args) -> int:
    Fleet(args.workdir).down()
    print("fleet: stopped")
    return 0


def run_status(args) -> int:
    fleet = Fleet(args.workdir)
    fleet.ports = attach(args.workdir)
    status = fleet.status()
    firing = sorted({(a["labels"]["alertname"], a["labels"].get("site", "")) for a in fleet.ruler_alerts()
                     if a["state"] == "firing"})
    print(json.dumps({**status, "ruler_firing": firing}, indent=2))
    return 0 if len(status["sites_in_store"]) == len(fleet.ports.sites) else EXIT_FINDINGS
