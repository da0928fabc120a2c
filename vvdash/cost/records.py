"""Which recording rules the dashboards read (the ones a cost measurement must backfill)."""

from __future__ import annotations

from pathlib import Path

import yaml

from vvdash.check.metric_coverage import selected_names
from vvdash.model.dashboards import iter_targets


def recorded_names(rule_files: list[Path]) -> set[str]:
    out = set()
    for path in rule_files:
        for group in (yaml.safe_load(Path(path).read_text()) or {}).get("groups", []):
            out |= {r["record"] for r in group.get("rules", []) if "record" in r}
    return out


def read_by(models: list[dict], rule_files: list[Path]) -> set[str]:
    """Records any panel target of `models` selects."""
    recorded = recorded_names(rule_files)
    names = set()
    for model in models:
        for _, target in iter_targets(model):
            names |= selected_names(target.get("expr") or "")
    return names & recorded
