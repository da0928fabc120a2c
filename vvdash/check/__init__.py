"""Checks over the built model: each returns Findings that name the place and the problem."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class Finding:
    where: str      # e.g. 'dashboard vv-overview / panel "Queue depth"' or 'rules dvr / VVDvrDisconnected'
    message: str
    check: str = ""  # which check produced it (contract, dashboard-lint, alert-style, ...)

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"
