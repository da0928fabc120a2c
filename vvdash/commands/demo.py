"""`vvdash demo` (what `make demo` runs): build generated/, then bring up the local stack.

Runs in the foreground until Ctrl-C, which stops every process; `--detach` leaves the stack
running and returns (stop it later with `vvdash stack down`).
"""

from __future__ import annotations

import time

from vvdash.build import build, default_out
from vvdash.commands.stack import add_up_options, bring_up, ignore_stop_signals
from vvdash.errors import EXIT_FINDINGS

POLL_SECONDS = 5.0   # how often the foreground demo checks that every part still runs


def register(sub):
    p = sub.add_parser("demo", help="build everything, start the local stack, run until Ctrl-C")
    p.add_argument("--detach", action="store_true", help="leave the stack running and return")
    p.add_argument("--workdir", default=None, help="the stack's working folder (default: .stack/)")
    add_up_options(p)
    p.set_defaults(func=run)


def run(args) -> int:
    result = build(args.inventory, default_out())
    print(f"vvdash demo: {len(result.files)} files in {default_out()} ({len(result.written)} rewritten)")
    stack = bring_up(args)     # from here on Ctrl-C and SIGTERM raise KeyboardInterrupt
    if args.detach:
        print("Stack left running; stop it with `vvdash stack down`.")
        return 0
    print("Running; Ctrl-C stops everything. `vvdash stack status` in another shell shows targets and alerts.")
    code = 0
    try:
        while True:
            time.sleep(POLL_SECONDS)
            dead = [name for name, proc in stack.procs.items() if not proc.alive()]
            if dead:
                print(f"vvdash demo: {', '.join(dead)} exited; see {stack.workdir / 'logs'}")
                code = EXIT_FINDINGS
                break
    except KeyboardInterrupt:
        pass                    # the user's way to stop the demo
    finally:
        ignore_stop_signals()
        print("vvdash demo: stopping")
        stack.stop()
    return code
