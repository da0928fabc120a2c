"""`vvdash stack up|down|status`: the local stack of real Prometheus, Alertmanager and exporters."""

from __future__ import annotations

import signal
from pathlib import Path

from vvdash.errors import EXIT_FINDINGS, VVError
from vvdash.generations import DEFAULT, GENERATIONS
from vvdash.stack.profile import PROFILES
from vvdash.stack.runner import Stack, firing_alerts, targets, workdir


def register(sub):
    p = sub.add_parser("stack", help="run the pipeline with Prometheus, Alertmanager and exporters locally")
    add_actions(p, "stack_command", ".stack", add_up_options, {
        "up": ("start everything on 127.0.0.1, wait for health, print the URLs", run_up),
        "down": ("stop everything the stack started", run_down),
        "status": ("targets up/down and firing alerts (exit 1 if a target is down)", run_status)})


def add_actions(parser, dest: str, default_workdir: str, up_options, actions: dict) -> None:
    """The up/down/status actions of `stack` and `fleet`: {name: (help, function)}, each with
    --workdir (vvdash/project_folder.py working_folder), `up` with `up_options(subparser)`'s too."""
    sub = parser.add_subparsers(dest=dest, metavar="ACTION", required=True)
    for name, (help_, func) in actions.items():
        sp = sub.add_parser(name, help=help_)
        sp.add_argument("--workdir", type=Path, default=None,
                        help=f"the working folder, as given (relative to the current directory); "
                             f"default: {default_workdir}/ in the project")
        if name == "up":
            up_options(sp)
        sp.set_defaults(func=func)


def add_up_options(sp) -> None:
    sp.add_argument("--profile", choices=sorted(PROFILES), default="demo",
                    help="intervals and alert durations (default: demo)")
    sp.add_argument("--inventory-ports", action="store_true",
                    help="listen on the inventory's ports instead of free ones")
    sp.add_argument("--generation", type=int, choices=sorted(GENERATIONS, reverse=True), default=DEFAULT,
                    metavar="3|2", help="Prometheus 3.5 + Alertmanager 0.33 + current exporters from .tools/ (3, "
                                        "the default) or Debian stable's 2.42 + 0.25 on PATH (2)")


def stack_for(args) -> Stack:
    return Stack(workdir(args.workdir))


STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def raise_on_stop_signals() -> None:
    """Ctrl-C and SIGTERM raise KeyboardInterrupt, so whatever has started is stopped (the parts
    run in their own sessions and would outlive us). Set explicitly: a shell may start us with
    SIGINT ignored (in the background)."""
    def interrupt(signum, frame):
        ignore_stop_signals()      # only the first: a second must not cut the cleanup short
        raise KeyboardInterrupt

    for sig in STOP_SIGNALS:
        signal.signal(sig, interrupt)


def ignore_stop_signals() -> None:
    """While stopping the stack: one more Ctrl-C must not leave half of it running."""
    for sig in STOP_SIGNALS:
        signal.signal(sig, lambda *_: None)    # a handler, not SIG_IGN: children would inherit that


def bring_up(args) -> Stack:
    raise_on_stop_signals()
    stack = stack_for(args)
    print(f"vvdash stack: starting in {stack.workdir} (profile {args.profile}, generation {args.generation})")
    stack.up(args.inventory, args.profile, args.inventory_ports, generation_number=args.generation)
    print("vvdash stack: up")
    print_tools(stack)
    for label, url in stack.urls().items():
        print(f"  {label:20} {url}")
    return stack


def print_tools(stack: Stack) -> None:
    print(f"tools: generation {stack.generation.number} ({stack.generation.source})")
    for line in stack.tools():
        print(f"  {line}")


def run_up(args) -> int:
    bring_up(args)
    print("Stop it with `vvdash stack down`.")
    return 0


def run_down(args) -> int:
    stack = stack_for(args)
    stopped = stack.stop()
    print(f"vvdash stack: {'stopped' if stopped else 'nothing was running'} in {stack.workdir}")
    return 0


def run_status(args) -> int:
    stack = stack_for(args)
    stack.load_running()
    pids = stack.running_pids()
    prometheus = stack.url("prometheus")
    try:
        active = targets(prometheus)
        firing = firing_alerts(prometheus)
    except Exception as exc:  # noqa: BLE001  (any failure to reach Prometheus is the one line below)
        raise VVError(f"Prometheus at {prometheus} does not answer ({type(exc).__name__}); "
                      f"processes alive: {', '.join(sorted(pids)) or 'none'}") from None
    down = [t for t in active if t["health"] != "up"]
    print(f"processes: {len(pids)} running ({', '.join(pids)})")
    print_tools(stack)
    print(f"targets: {len(active) - len(down)}/{len(active)} up")
    for t in sorted(active, key=lambda t: (t["labels"]["job"], t["labels"]["instance"])):
        err = f"  {t['lastError']}" if t["health"] != "up" and t.get("lastError") else ""
        print(f"  {t['health']:7} {t['labels']['job']:20} {t['labels']['instance']}{err}")
    print(f"firing alerts: {len(firing)}")
    for a in sorted(firing, key=lambda a: a["labels"]["alertname"]):
        labels = ", ".join(f"{k}={v}" for k, v in sorted(a["labels"].items()) if k != "alertname")
        print(f"  {a['labels']['alertname']} {{{labels}}}")
    print("where to look:")
    for label, url in stack.urls().items():
        print(f"  {label:20} {url}")
    return EXIT_FINDINGS if down else 0
