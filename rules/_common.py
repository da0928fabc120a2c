"""Pieces every rules module shares: runbooks, numbers and windows as PromQL text."""

from __future__ import annotations

from shared.records import RATE_WINDOW, STAGES  # noqa: F401  (the rules modules read them from here)
from vvdash.errors import VVError
from vvdash.model.rules import Runbook


def runbook(meaning: str, causes: list[str], checks: list[str]) -> Runbook:
    return Runbook(meaning=meaning, causes=tuple(causes), checks=tuple(checks))


def number(value: float) -> str:
    """A threshold as PromQL text without float noise (0.14400000000000013 -> 0.144)."""
    return format(round(value, 12), ".12g")


def seconds(value: float) -> str:
    return f"{int(value)}" if float(value).is_integer() else number(value)


_MS_LIMIT = (2**63 - 1) // 10**6   # Prometheus durations are int64 nanoseconds (about 292 years)


def window(inv, value: float, keys: str) -> str:
    """A range-selector window of `value` seconds as a Prometheus duration (whole milliseconds,
    rounded up); `keys` name the inventory values it comes from when it is out of Prometheus's range."""
    ms = -(-round(value * 1000, 6) // 1)
    if not 1 <= ms <= _MS_LIMIT:
        raise VVError(f"{inv.name}: {keys}: the window of {number(value)}s they give is outside "
                      "Prometheus's range (1ms to about 292 years)")
    ms = int(ms)
    whole, rest = divmod(ms, 1000)
    return (f"{whole}s" if whole else "") + (f"{rest}ms" if rest else "")
