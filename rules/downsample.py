"""Downsampled gauges and counts for the dashboards' long ranges (shared/records.DOWNSAMPLED, COUNTED),
and 5-minute copies of the records panels draw per instance over days (shared/records.COPIED).

The groups run every DOWNSAMPLE_WINDOW and each gauge or count record reduces exactly that window,
so the records tile time: a panel reducing them over its step (min/max/sum_over_time) sees every raw
sample's contribution once, and over a week reads one sample per series per 5 minutes instead
of one per scrape (or per evaluation, for a copy).
"""

from __future__ import annotations

from rules import host, storage
from shared import records as R
from shared import exprs
from vvdash import catalog
from vvdash.jobs import selector
from vvdash.inventory import duration_seconds
from vvdash.model.rules import Group, Record


def _matchers(component: str | None, extra: str) -> str:
    parts = [selector(component)] if component else []
    if extra == "FSTYPE":
        parts.append(exprs.FSTYPE_FILTER)
    return "{" + ", ".join(parts) + "}" if parts else ""


def _gauges(reduction: str) -> list[Record]:
    return [Record(record=R.downsampled(metric), expr=f"{how}_over_time({metric}{_matchers(component, extra)}"
                                                    f"[{R.DOWNSAMPLE_WINDOW}])")
            for metric, (how, component, extra) in R.DOWNSAMPLED.items() if how == reduction]


def _open_files_ratio() -> Record:
    w = R.DOWNSAMPLE_WINDOW
    return Record(record=R.OPEN_FILES_RATIO,
                  expr=f"max_over_time(process_open_fds[{w}]) / max_over_time(process_max_fds[{w}])")


def _copies(inv) -> list[Record]:
    """The COPIED records with their own expressions and labels (rules/host.py, rules/storage.py; a
    record may have several rules, one per horizon), under the copy's name."""
    return [Record(record=R.copied(r.record), expr=r.expr, labels=dict(r.labels))
            for g in (*host.groups(inv), *storage.groups(inv)) for r in g.rules
            if isinstance(r, Record) and r.record in R.COPIED]


def _containers() -> list[Record]:
    """Each container's rates, highest levels and starts of each window (shared/records.CONTAINERS),
    then their fleet rollups (evaluated after them, in the same group)."""
    w = R.DOWNSAMPLE_WINDOW
    by = "site, job, instance, name"
    out = []
    for metric, (how, _) in R.CONTAINERS.items():
        sel = f"{metric}{{{selector('cadvisor')}, {R.CONTAINER_FILTER}}}"
        if how == "rate":
            expr = f"sum by ({by}) (rate({sel}[{w}]))"
        elif how == "max_over_time":
            expr = f"max by ({by}) (max_over_time({sel}[{w}]))"
        else:
            # changes() counts changes between samples inside its range, so one over the last window
            # alone would miss a start between the window's first sample and the one before it. Over
            # two windows minus the earlier one it counts exactly the changes whose later sample is in
            # this window, so consecutive evaluations count every start once; a container new within
            # the two windows has no earlier samples, and its changes over both are all in this one.
            two = f"{duration_seconds(w) * 2:g}s"
            expr = f"sum by ({by}) ((changes({sel}[{two}]) - changes({sel}[{w}] offset {w})) or changes({sel}[{two}]))"
        out.append(Record(record=R.container(metric), expr=expr))
    out += [Record(record=R.fleet(R.container(metric)), expr=f"sum by (job, name) ({R.container(metric)})")
            for metric in R.CONTAINERS]
    return out


def _counts(inv) -> list[Record]:
    w = R.DOWNSAMPLE_WINDOW
    cat = catalog.load()
    out = [Record(record=R.counted(metric),
                  expr=f"sum by ({', '.join(('site', 'job', 'instance', *labels))}) "
                       f"(increase({metric}{_matchers(cat[metric].component, '')}[{w}]))")
            for metric, labels in R.COUNTED.items()]
    # The storage mount's fill rate over the last hour, which the storage dashboard draws over days.
    out.append(Record(record=R.STORAGE_FREE_DERIV, expr=f"deriv(node_filesystem_avail_bytes{{{exprs.storage_selector(inv)}}}[1h])"))
    return out


def groups(inv) -> list[Group]:
    every = R.DOWNSAMPLE_WINDOW
    return [Group(name="vv_downsample_health_records", rules=tuple(_gauges("min")), interval=every),
            Group(name="vv_downsample_level_records", rules=(*_gauges("max"), _open_files_ratio()), interval=every),
            Group(name="vv_downsample_count_records", rules=tuple(_counts(inv)), interval=every),
            Group(name="vv_downsample_copied_records", rules=tuple(_copies(inv)), interval=every),
            Group(name="vv_downsample_container_records", rules=tuple(_containers()), interval=every)]
