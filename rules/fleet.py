"""Fleet rollups of the per-site bucket-rate records (shared/records.FLEET_BUCKET_RATES).

histogram_quantile costs per input series and step: over a week and ten sites a quantile
from per-site bucket rates reads ten times the series a fleet rollup does, and the fleet's
quantiles recorded read none of the buckets. The dashboards read the rollups when the site
variable is on All, the per-site records otherwise.
"""

from __future__ import annotations

from shared import records as R
from vvdash.model.rules import Group, Record


def _records(record: str, labels: tuple[str, ...]) -> list[Record]:
    by = ", ".join(("job", *labels, "le"))
    return [Record(record=R.fleet(record), expr=f"sum by ({by}) ({record})"),
            *[Record(record=R.fleet_quantile(record), expr=f"histogram_quantile({q}, {R.fleet(record)})", labels={"quantile": q})
              for q in R.QUANTILES]]


def groups(inv) -> list[Group]:
    # One group per histogram: the rollup, then its quantiles (rules of a group run in order). Every
    # 5 minutes, the rates' window: evaluations then tile time, and the panels reading them step at
    # least 5 minutes (recorded_resolution), so each step still holds one; over a week they read a
    # twentieth of the samples an evaluation every 15 s writes.
    return [Group(name=f"vv_fleet_{record.split(':')[1].removeprefix('vv_').removesuffix('_bucket')}_records",
                  rules=tuple(_records(record, labels)), interval=R.DOWNSAMPLE_WINDOW)
            for record, labels in R.FLEET_BUCKET_RATES.items()] + [
        Group(name="vv_fleet_rate_records",
              rules=tuple(Record(record=R.fleet(record), expr=f"sum by ({', '.join(('job', *labels))}) ({record})")
                          for record, labels in R.FLEET_RATES.items()),
              interval=R.DOWNSAMPLE_WINDOW)]
