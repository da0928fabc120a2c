"""Pieces every rules module shares: alerts with their texts, numbers and windows as PromQL text."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from shared.records import RATE_WINDOW, STAGES  # noqa: F401  (the rules modules read them from here)
from vvdash.errors import DefinitionError, VVError
from vvdash.model.rules import Alert, Runbook

TEXTS = Path(__file__).parent / "texts"
_PLACEHOLDER = re.compile(r"\$\{(\w+)\}")


class AlertTexts:
    """`alert(**fields)` for the rules module `module` (its __name__): an Alert whose summary,
    description and runbook are the entry of rules/texts/<module>.yaml named after the alert (or
    `text=`, for alerts that share one), each ${name} in them filled from `values`. The texts are
    prose for people, kept apart from the expressions; every value must be used, every ${name} given."""

    def __init__(self, module: str):
        self.path = TEXTS / f"{module.rsplit('.', 1)[-1]}.yaml"
        try:
            self.texts = yaml.safe_load(self.path.read_text())
        except (OSError, yaml.YAMLError) as exc:
            raise VVError(f"{self.path}: cannot read the alert texts: {str(exc).splitlines()[0]}") from None
        self.used: set[str] = set()     # entries an alert read (tests/rules: none is left over)

    def __call__(self, *, text: str | None = None, values: dict | None = None, **fields) -> Alert:
        name, key = fields["alert"], text or fields["alert"]
        if key not in self.texts:
            raise DefinitionError(f"{name}: no entry {key!r} in {self.path.name} (rules/texts/)")
        given, filled = dict(values or {}), set()

        def fill(template: str) -> str:
            def value(match: re.Match) -> str:
                if match[1] not in given:
                    raise DefinitionError(f"{name}: {self.path.name} uses ${{{match[1]}}}, which the alert gives no value for")
                filled.add(match[1])
                return str(given[match[1]])
            return _PLACEHOLDER.sub(value, template)

        entry, book = self.texts[key], self.texts[key]["runbook"]
        out = Alert(summary=fill(entry["summary"]), description=fill(entry["description"]),
                    runbook=Runbook(meaning=fill(book["meaning"]), causes=tuple(fill(c) for c in book["causes"]),
                                    checks=tuple(fill(c) for c in book["checks"])), **fields)
        if set(given) - filled:
            raise DefinitionError(f"{name}: values {', '.join(sorted(set(given) - filled))} are not used in {self.path.name}")
        self.used.add(key)
        return out


def runbook(meaning: str, causes: list[str], checks: list[str]) -> Runbook:
    """A runbook written in Python (the fleet's central rules); the site rules' are in rules/texts/."""
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
