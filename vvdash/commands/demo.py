"""`vvdash demo` (what `make demo` runs): build generated/, then bring up the local stack.

Runs in the foreground until Ctrl-C, which stops every process; `--detach` leaves the stack
running and returns (stop it later with `vvdash stack down`).
"""

from __future__ import annotations

import signal
import threading

from vvdash.build import DEFAULT_OUT, build
from vvdash.commands.stack import add_up_options, bring_up
from vvdash.stack.runner import DEFAULT_WORKDIR


def register(sub):
    p = sub.add_parser("demo", help="build everything, start the local stack, run until Ctrl-C")
    p.add_argument("--detach", action="store_true", help="leave the stack running and return")
    p.add_argument("--workdir", default=DEFAULT_WORKDIR, help="the stack's working folder (default: .stack/)")
    add_up_options(p)
    p.set_defaults(func=run)


def run(args) -> int:
    result = build(args.inventory, DEFAULT_OUT)
    print(f"vvdash demo: {len(result.files)} files in {DEFAULT_OUT} ({len(result.written)} rewritten)")
    stack = bring_up(args)
    if args.detach:
        print("Stack left running; stop it with `vvdash stack down`.")
        return 0
    print("Running; Ctrl-C stops everything. `vvdash stack status` in another shell shows targets and alerts.")
    stop = threading.Event()
    # Set explicitly: a shell may start us with SIGINT ignored (e.g. in the background).
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    try:
        while not stop.wait(5):
            dead = [name for name, proc in stack.procs.items() if not proc.alive()]
            if dead:
                print(f"vvdash demo: {', '.join(dead)} exited; see {stack.workdir / 'logs'}")
                break
    finally:
        print("vvdash demo: stopping")
        stack.stop()
    return 0
