"""`vvdash ARGV` in this process: the real entry point (vvdash.cli.main) with stdout, stderr and
the exit code captured, a traceback caught as such, and a hang cut off by an alarm.

Much cheaper than a process per case; what a refusal costs is then the refusal itself.
"""

from __future__ import annotations

import contextlib
import io
import signal
import traceback

from vvdash import cli

CASE_LIMIT_S = 20   # far above any real case; only a hang reaches it


class _NoAnswer(Exception):
    pass


def _alarm(signum, frame):
    raise _NoAnswer()


def run_cli(argv: list[str]) -> tuple[int | None, str, str, str | None]:
    """(exit code, stdout, stderr, traceback or None) of `vvdash ARGV`, run in this process."""
    out, err = io.StringIO(), io.StringIO()
    previous = signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, CASE_LIMIT_S)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = cli.main(argv)
            except SystemExit as exc:   # argparse
                code = exc.code if isinstance(exc.code, int) else 2
        return code, out.getvalue(), err.getvalue(), None
    except _NoAnswer:
        return None, out.getvalue(), err.getvalue(), f"no answer within {CASE_LIMIT_S}s"
    except BaseException:  # noqa: BLE001 - a traceback is exactly what this test looks for
        return None, out.getvalue(), err.getvalue(), traceback.format_exc()
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
