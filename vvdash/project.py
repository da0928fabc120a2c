"""Everything a build works from: inventory, catalog, dashboards, rules and the contract."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from vvdash import catalog as catalog_mod
from vvdash import definitions, inventory
from vvdash.catalog import Catalog
from vvdash.check.contract import Contract, Recorded
from vvdash.model.dashboards import DashboardDef
from vvdash.model.rules import Alert, Record, RuleFile


@dataclass
class Project:
    inventory: inventory.Inventory
    catalog: Catalog
    dashboards: list[DashboardDef]
    rule_files: list[RuleFile]
    contract: Contract
    # The store ruler's own rules (rules/central/fleet.py); none without `fleet`.
    fleet_rule_files: list[RuleFile] = field(default_factory=list)

    def records(self) -> list[tuple[RuleFile, object, Record]]:
        return [(f, g, r) for f in self.rule_files for g, r in f.rules() if isinstance(r, Record)]

    def alerts(self) -> list[tuple[RuleFile, object, Alert]]:
        return [(f, g, r) for f in self.rule_files for g, r in f.rules() if isinstance(r, Alert)]

    def fleet_alerts(self) -> list[tuple[RuleFile, object, Alert]]:
        return [(f, g, r) for f in self.fleet_rule_files for g, r in f.rules() if isinstance(r, Alert)]

    def dashboard(self, uid: str) -> DashboardDef | None:
        return next((d for d in self.dashboards if d.uid == uid), None)


def _recorded(catalog: Catalog, rule_files: list[RuleFile]) -> dict[str, Recorded]:
    """Output labels and kind of every recording rule (two passes: rules may build on rules)."""
    recorded: dict[str, Recorded] = {}
    records = [r for f in rule_files for _, r in f.rules() if isinstance(r, Record)]
    for _ in range(2):
        contract = Contract(catalog, recorded)
        for rec in records:
            try:
                out = contract.output(rec.expr)
            except (ValueError, RuntimeError):
                out = Recorded(None, "gauge")  # parse errors are reported by the contract check
            labels = None if out.labels is None else out.labels | frozenset(rec.labels)
            recorded[rec.record] = Recorded(labels, out.kind)
    return recorded


def load_project(inventory_path: str | Path | None = None) -> Project:
    inv = inventory.load(inventory_path)
    cat = catalog_mod.load()
    rule_files = definitions.load_rules(inv)
    dashboards = definitions.load_dashboards(inv)
    fleet_rule_files = definitions.load_fleet_rules(inv)
    # The store's ruler records the fleet rollups the fleet dashboard reads.
    contract = Contract(cat, _recorded(cat, rule_files + fleet_rule_files))
    return Project(inv, cat, dashboards, rule_files, contract, fleet_rule_files)
