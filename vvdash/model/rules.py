"""Prometheus rules as Python objects: what a module in rules/ returns from `groups(inv)`."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Runbook:
    meaning: str
    causes: tuple[str, ...]
    checks: tuple[str, ...]


@dataclass(frozen=True)
class Record:
    record: str
    expr: str
    labels: dict = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.record


@dataclass(frozen=True)
class Alert:
    alert: str
    expr: str
    severity: str
    summary: str
    description: str
    dashboard: str                 # uid of the dashboard to open
    runbook: Runbook
    for_: str = "0s"
    labels: dict = field(default_factory=dict)
    annotations: dict = field(default_factory=dict)
    keep_firing_for: str = ""

    @property
    def name(self) -> str:
        return self.alert


@dataclass(frozen=True)
class Group:
    name: str
    rules: tuple
    interval: str = ""


@dataclass(frozen=True)
class RuleFile:
    """The groups one module in rules/ defines; emitted as generated/prometheus/rules/<module>.yml."""

    module: str
    source: str                    # path of the defining module, for messages
    groups: tuple[Group, ...]

    def rules(self):
        for group in self.groups:
            for rule in group.rules:
                yield group, rule
