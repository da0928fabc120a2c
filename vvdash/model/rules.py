"""Prometheus rules as Python objects: what a module in rules/ returns from `groups(inv)`.

Every field is given by keyword, and an object that Prometheus would refuse cannot be built:
a severity is a `Severity`, durations follow Prometheus's grammar (vvdash/inventory/grammar.py).
The error names the rule; the loader (vvdash/definitions.py) adds the module.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from vvdash.errors import DefinitionError
from vvdash.inventory.grammar import duration_ns


class Severity(StrEnum):
    """The `severity` label: Alertmanager routes on it (vvdash/emit/alertmanager.py)."""

    CRITICAL = "critical"
    WARNING = "warning"
    INFO = "info"


def check_duration(what: str, name: str, value: str, *, optional: bool = False) -> None:
    """`value` as Prometheus would read it (an empty value only where the field is optional)."""
    if optional and value == "":
        return
    if not isinstance(value, str) or duration_ns(value) is None:
        raise DefinitionError(f"{name}: {what} {value!r} is not a Prometheus duration such as 30s, 5m, 4h")


@dataclass(frozen=True, kw_only=True)
class Runbook:
    meaning: str
    causes: tuple[str, ...]
    checks: tuple[str, ...]


@dataclass(frozen=True, kw_only=True)
class Record:
    record: str
    expr: str
    labels: dict = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.record


@dataclass(frozen=True, kw_only=True)
class Alert:
    alert: str
    expr: str
    severity: Severity
    summary: str
    description: str
    dashboard: str                 # uid of the dashboard to open
    runbook: Runbook
    for_: str = "0s"
    labels: dict = field(default_factory=dict)
    annotations: dict = field(default_factory=dict)
    keep_firing_for: str = ""

    def __post_init__(self):
        if not isinstance(self.severity, Severity):
            raise DefinitionError(f"{self.alert}: severity {self.severity!r} is not a Severity "
                                  f"({', '.join(f'Severity.{s.name}' for s in Severity)})")
        check_duration("for", self.alert, self.for_)
        check_duration("keep_firing_for", self.alert, self.keep_firing_for, optional=True)

    @property
    def name(self) -> str:
        return self.alert


@dataclass(frozen=True, kw_only=True)
class Group:
    name: str
    rules: tuple[Alert | Record, ...]
    interval: str = ""

    def __post_init__(self):
        check_duration("interval", f"group {self.name}", self.interval, optional=True)


@dataclass(frozen=True, kw_only=True)
class RuleFile:
    """The groups one module in rules/ defines; emitted as generated/prometheus/rules/<module>.yml."""

    module: str
    source: str                    # path of the defining module, for messages
    groups: tuple[Group, ...]

    def rules(self):
        for group in self.groups:
            for rule in group.rules:
                yield group, rule
