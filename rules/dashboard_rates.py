"""Rates of the counters the dashboards draw at fleet scale (shared/records.COUNTER_RATES).

A panel summing a recorded 5 m rate reads one sample per series per step; the same panel
over the raw counter reads every scrape of every instance in its range.
"""

from __future__ import annotations

from rules._common import RATE_WINDOW
from shared import records as R
from vvdash import catalog
from vvdash.jobs import selector
from vvdash.model.rules import Group, Record


def _records() -> list[Record]:
    cat = catalog.load()
    out = []
    for metric, labels in R.COUNTER_RATES.items():
        by = ", ".join(("site", "job", *labels))
        sel = selector(cat[metric].component)
        out.append(Record(record=R.counter_rate(metric), expr=f"sum by ({by}) (rate({metric}{{{sel}}}[{RATE_WINDOW}]))"))
    return out


def groups(inv) -> list[Group]:
    return [Group(name="vv_dashboard_rate_records", rules=tuple(_records()))]
