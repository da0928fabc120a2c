"""Fleet rollups of the per-site bucket-rate records (rules/_records.FLEET_BUCKET_RATES).

histogram_quantile costs per input series and step: over a week and ten sites a quantile
from per-site bucket rates reads ten times the series a fleet rollup does. The dashboards
read the rollup when the site variable is on All, the per-site records otherwise.
"""

from __future__ import annotations

from rules import _records as R
from vvdash.model.rules import Group, Record


def _records() -> list[Record]:
    return [Record(R.fleet(record), f"sum by ({', '.join(('job', *labels, 'le'))}) ({record})")
            for record, labels in R.FLEET_BUCKET_RATES.items()]


def groups(inv) -> list[Group]:
    return [Group("vv_fleet_records", tuple(_records()))]
