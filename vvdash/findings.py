"""The one finding type: what a build check, a lint step or a tool run reports, one line each."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class Finding:
    where: str      # the thing to fix: 'dashboard vv-overview / panel "Queue depth"', 'rules dvr / VVDvrDisconnected'
    message: str
    check: str = ""  # which check produced it (contract, dashboard-lint, alert-style, promtool ...)
    file: str = ""   # repository-relative file, for workflow annotations
    detail: str = ""  # longer tool output (the JUnit body)

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"
