"""Host and process rates the host dashboard draws for every instance of the fleet."""

from __future__ import annotations

from rules._common import RATE_WINDOW
from shared import records as R
from vvdash.jobs import selector
from vvdash.model.rules import Group, Record


def _records() -> list[Record]:
    w = RATE_WINDOW
    node = selector("node_exporter")
    out = [
        # Every job's own process: what the host and summarizer dashboards draw per job and instance.
        Record(record=R.PROCESS_CPU_RATE, expr=f"sum by (site, job, instance) (rate(process_cpu_seconds_total[{w}]))"),
        Record(record=R.NODE_CPU_IDLE_RATIO,
               expr=f'avg by (site, job, instance) (rate(node_cpu_seconds_total{{{node}, mode="idle"}}[{w}]))'),
    ]
    out += [Record(record=record, expr=f"sum by (site, job, instance, device) (rate({metric}{{{node}}}[{w}]))")
            for metric, record in R.NODE_DEVICE_RATE.items()]
    return out


def groups(inv) -> list[Group]:
    return [Group(name="vv_host_records", rules=tuple(_records()))]
