"""Pieces every rules module shares: the recording window, stage names, dashboard uids, runbooks."""

from __future__ import annotations

from dashboards._common import UID
from vvdash.errors import VVError
from vvdash.model.rules import Runbook

# Rate window of the recording rules; it is part of their names (…:rate5m).
RATE_WINDOW = "5m"

# Pipeline stages: the `stage` label value -> the service (job) that runs it.
STAGES = {"scan": "scan_video", "summarize": "summarize_scene", "logline": "logline_generator"}

# Dashboards an alert links to: the uids the dashboards/ modules use.
DASHBOARD = UID


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
