"""What an upload prints: one progress line per dashboard, then the summary table."""

from __future__ import annotations

import sys
import threading
from dataclasses import dataclass, field

DRIFTED = "changed in Grafana"   # changed in Grafana since vvdash's last upload: left alone (exit 1)
COLUMNS = ("created", "updated", "unchanged", DRIFTED, "deleted", "failed")
# Shown only when non-zero: dashboards not tried because --fail-fast stopped the run.
EXTRA_COLUMNS = ("skipped",)
_WOULD = {"created": "would create", "updated": "would update", "deleted": "would delete"}


@dataclass
class Outcome:
    uid: str
    title: str
    action: str          # one of COLUMNS or EXTRA_COLUMNS
    detail: str = ""
    diff: list[str] = field(default_factory=list)   # printed under the progress line

    @property
    def label(self) -> str:
        return f"{self.uid} {self.title!r}" if self.title else self.uid


class Reporter:
    def __init__(self, out=None, err=None, dry_run: bool = False):
        self.out = out or sys.stdout
        self.err = err or sys.stderr
        self.dry_run = dry_run
        self._lock = threading.Lock()
        self._done = 0

    def line(self, text: str) -> None:
        with self._lock:
            print(text, file=self.out, flush=True)

    def note(self, text: str) -> None:
        """Retries and warnings: stderr, so stdout stays the record of what was done."""
        with self._lock:
            print(text, file=self.err, flush=True)

    def verb(self, action: str) -> str:
        return _WOULD.get(action, action) if self.dry_run else action

    def progress(self, outcome: Outcome, total: int | None) -> None:
        """`total` None: a line outside the dashboard count (prune)."""
        if outcome.action in ("failed", DRIFTED):
            text = outcome.detail  # the message names the dashboard or file itself
        else:
            text = outcome.label + (f" ({outcome.detail})" if outcome.detail else "")
        with self._lock:
            if total is None:
                counter = "[prune]"
            else:
                self._done += 1
                counter = f"[{self._done:>{len(str(total))}}/{total}]"
            print(f"{counter} {self.verb(outcome.action):<12} {text}", file=self.out, flush=True)
            for line in outcome.diff:
                print("    " + line.rstrip("\n"), file=self.out)
            self.out.flush()

    def summary(self, outcomes: list[Outcome]) -> None:
        counts = {c: 0 for c in COLUMNS + EXTRA_COLUMNS}
        for o in outcomes:
            counts[o.action] += 1
        columns = list(COLUMNS) + [c for c in EXTRA_COLUMNS if counts[c]]
        heads = [self.verb(c) for c in columns]
        widths = [max(len(h), len(str(counts[c]))) for h, c in zip(heads, columns, strict=True)]
        label = "dashboards"
        self.line("")
        self.line(" " * len(label) + "  " + "  ".join(h.rjust(w) for h, w in zip(heads, widths, strict=True)))
        self.line(label + "  " + "  ".join(str(counts[c]).rjust(w) for c, w in zip(columns, widths, strict=True)))
        drifted = [o for o in outcomes if o.action == DRIFTED]
        if drifted:
            self.line("")
            self.line(f"{len(drifted)} changed in Grafana since vvdash's last upload, left as they are "
                      "(`vvdash diff` shows both sides; `vvdash upload --force` overwrites them):")
            for o in sorted(drifted, key=lambda o: o.uid):
                self.line(f"  {o.label}")
        failed = [o for o in outcomes if o.action == "failed"]
        if failed:
            self.line("")
            self.line(f"{len(failed)} failed:")
            for o in sorted(failed, key=lambda o: o.uid):
                self.line(f"  {o.detail}")
        if self.dry_run:
            self.line("dry run: nothing was written to Grafana")
