"""Pieces every dashboard shares: variables, the alert annotation, links, panel builders, thresholds.

A dashboard module builds a `Scope` (which jobs it shows, whether it has an instance
variable), writes its panels with the builders below and returns `build(...)`. Each builder
makes a typed `Panel` (vvdash/model/dashboards.py) with the options Grafana 12 writes for its type.
"""

from __future__ import annotations

from dataclasses import dataclass

from shared import exprs, records
from shared.dashboards import uid
from vvdash.jobs import JOB, selector
from vvdash.model.dashboards import DATASOURCE_VARIABLE, Dashboard, Panel, Row, Target, Unit, datasource_ref

RI = "$__rate_interval"
# Said by every panel that reads a 5 m recorded rate (shared/records.py), over any range.
RECORDED = ("Read from the 5-minute recorded rate the alerts use: over ranges of a few hours or less, "
            "bursts shorter than 5 minutes are smoothed out; over days, each point is the 5-minute rate at "
            "that step. A rate summed over sites comes, with the site variable on All, from its fleet rollup "
            "recorded every 5 minutes: the line then moves in 5-minute steps and its newest point can be up to "
            "5 minutes old.")
# Said by every panel drawn from a downsampled record (rules/downsample.py), with what its reduction keeps.
_DOWNSAMPLED = ("Drawn from the 5-minute downsampled record (rules/downsample.py): each point is the {what} over "
                "its step, so {keeps} between two points still shows; points are at least 5 minutes apart, and the "
                "newest 5 minutes appear at the record's next evaluation.")
DOWNSAMPLED_MIN = _DOWNSAMPLED.format(what="lowest value", keeps="a failure as short as one scrape")
DOWNSAMPLED_MAX = _DOWNSAMPLED.format(what="highest value", keeps="a peak")
COUNTED = _DOWNSAMPLED.format(what="sum of the 5-minute increases", keeps="every event")
# Said by every panel drawn from 5-minute rates evaluated every 5 minutes: a copy of a recorded rate
# (shared/records.COPIED) or a rate recorded only that way (CONTAINERS).
_EVERY5M_RATE = ("Drawn from {what} evaluated every 5 minutes (rules/downsample.py): each point is the mean rate "
                 "over its step, so bursts shorter than 5 minutes are smoothed out; points are at least 5 minutes "
                 "apart, and the newest 5 minutes appear at the {record}'s next evaluation.")
COPIED_RATE = _EVERY5M_RATE.format(what="the recorded 5-minute rate's copy", record="copy")
RECORDED_RATE = _EVERY5M_RATE.format(what="the 5-minute rate recorded", record="record")
# The outcome the error-ratio alerts count (corrupted inputs have their own panels and alert).
FAILED = 'status="failure"'
TAG = "vvdash"     # every dashboard carries it; the dashboard links list dashboards by it


# -- variables and matchers ----------------------------------------------------
# Matchers on `job`, whose value is never a site name: the first holds only when $site is All's `.+`,
# the second only when it is a list of sites (Scope.buckets).
SITES_ALL, SITES_LISTED = 'job=~"$site"', 'job!~"$site"'
# The same for the instance variable (a job is never an instance either).
INSTANCES_ALL, INSTANCES_LISTED = 'job=~"$instance"', 'job!~"$instance"'


@dataclass(frozen=True)
class Scope:
    """What a dashboard's variables range over, and the matchers its queries carry.

    jobs: job names (from vvdash.jobs) the `job` variable offers; empty means every
    scraped job. variable_metric: the series the variables are read from (`up` for
    scraped jobs, `push_time_seconds` for Pushgateway groups, both for a dashboard
    showing scraped and pushed jobs). instance: whether the dashboard has an
    `instance` variable.
    """

    jobs: tuple[str, ...] = ()
    instance: bool = True
    variable_metric: str | tuple[str, ...] = "up"

    @property
    def matchers(self) -> str:
        parts = ['site=~"$site"', 'job=~"$job"']
        if self.instance:
            parts.append('instance=~"$instance"')
        return ", ".join(parts)

    def m(self, metric: str, extra: str = "") -> str:
        """`metric{site=~"$site", job=~"$job", instance=~"$instance", extra}`."""
        inner = self.matchers + (f", {extra}" if extra else "")
        return f"{metric}{{{inner}}}"

    def rate(self, metric: str, extra: str = "") -> str:
        return f"rate({self.m(metric, extra)}[{RI}])"

    @property
    def own_jobs(self) -> str:
        """`job=~"a|b"`: the dashboard's own jobs, for series every job exposes (up, process_*).

        The job variable's All is `.+`, which alone would draw every scraped job's series.
        """
        return f'job=~"{"|".join(sorted(set(self.jobs)))}"' if self.jobs else ""

    def rec(self, record: str, extra: str = "") -> str:
        """A recorded series with the variables' matchers it can carry.

        Records keep site and job; `instance` only when the record's level (the part of its
        name before the first colon, e.g. `instance:` or `instance_device:`) says so. A rate with a
        fleet rollup (shared/records.FLEET_RATES) reads the rollup when the site variable is on All
        and the per-site record otherwise (the switch `buckets` describes); panels sum it either way.
        """
        if record in records.FLEET_RATES:
            more = f", {extra}" if extra else ""
            return f'({records.fleet(record)}{{job=~"$job", {SITES_ALL}{more}}} or {self._rec(record, SITES_LISTED + more)})'
        return self._rec(record, extra)

    def _rec(self, record: str, extra: str = "") -> str:
        parts = ['site=~"$site"', 'job=~"$job"']
        if self.instance and "instance" in record.split(":")[0].split("_"):
            parts.append('instance=~"$instance"')
        if extra:
            parts.append(extra)
        return f"{record}{{{', '.join(parts)}}}"

    def over_step(self, metric: str, extra: str = "") -> str:
        """A downsampled gauge (shared/records.DOWNSAMPLED) reduced over the panel's step by its own
        reduction: the lowest (or highest) value of every raw sample in the step."""
        how = records.DOWNSAMPLED[metric][0]
        return f"{how}_over_time({self.rec(records.downsampled(metric), extra)}[$__interval])"

    def copy_over_step(self, record: str, extra: str = "") -> str:
        """The 5-minute copy of a record (shared/records.COPIED) reduced over the panel's step by its
        reduction: the mean of the 5-minute rates in the step, or the lowest or newest fit."""
        return f"{records.COPIED[record]}_over_time({self.rec(records.copied(record), extra)}[$__interval])"

    def per_container(self, metric: str, window: str = "$__interval") -> str:
        """A container metric's 5-minute record (shared/records.CONTAINERS) reduced over `window`
        (the panel's step, or `$__range`) by its reduction: the mean rate, the highest level, the
        starts. With the site and instance variables on All it reads the fleet rollup (one series per
        container name instead of one per name and site); otherwise the per-instance records, through
        a branch per variable that is not on All (both branches then hold the same series, which
        `or` keeps once). Panels sum it by name either way."""
        how = records.CONTAINERS[metric][1]
        record = records.container(metric)
        fleet = f'{records.fleet(record)}{{job=~"$job", {SITES_ALL}' + (f", {INSTANCES_ALL}" if self.instance else "") + "}"
        listed = [SITES_LISTED, *([INSTANCES_LISTED] if self.instance else [])]
        branches = [fleet, *(self._rec(record, matcher) for matcher in listed)]
        return "(" + " or ".join(f"{how}_over_time({b}[{window}])" for b in branches) + ")"

    def count(self, metric: str, extra: str = "") -> str:
        """Events per step of a pushed counter: its recorded 5-minute increases (COUNTED) summed over the step."""
        return f"sum_over_time({self.rec(records.counted(metric), extra)}[$__interval])"

    def buckets(self, record: str, by: str = "", extra: str = "") -> str:
        """Bucket rates of the sites selected, summed by le (and `by`): a histogram's buckets for them.

        With the site variable on All this reads the fleet rollup (R.fleet(record)), one series
        per bucket; otherwise the per-site record of the sites selected. The switch is two
        matchers on `job`, whose value is never a site name: `job=~"$site"` holds only when
        $site is All's `.+`, `job!~"$site"` only when it is a list of sites. Either way the sum
        is over the sites' bucket rates, so a quantile from it is exact (per-site quantiles
        could not be combined).
        """
        group = f"le, {by}" if by else "le"
        more = f", {extra}" if extra else ""
        fleet = f'{records.fleet(record)}{{job=~"$job", job=~"$site"{more}}}'
        sites = self._rec(record, f'job!~"$site"{more}')
        return f"sum by ({group}) ({fleet} or {sites})"

    def quantile(self, record: str, quantile: str, by: str = "", extra: str = "") -> str:
        """A quantile over the sites selected: the fleet's recorded quantile with the site variable on
        All, else computed from the selected sites' recorded bucket rates (same switch as `buckets`)."""
        group = f"le, {by}" if by else "le"
        more = f", {extra}" if extra else ""
        fleet = f'{records.fleet_quantile(record)}{{job=~"$job", job=~"$site", quantile="{quantile}"{more}}}'
        sites = self._rec(record, f'job!~"$site"{more}')
        return f"{fleet} or histogram_quantile({quantile}, sum by ({group}) ({sites}))"

    def variables(self, inv) -> list[dict]:
        ds = {
            "name": DATASOURCE_VARIABLE, "label": "Data source", "type": "datasource", "query": "prometheus",
            "current": {"selected": False, "text": "Prometheus", "value": inv["grafana"]["datasource_uid"]},
            "hide": 0, "includeAll": False, "multi": False, "options": [], "refresh": 1, "regex": "",
        }
        job_filter = f', job=~"{"|".join(sorted(set(self.jobs)))}"' if self.jobs else ""
        site = 'site=~"$site"'
        out = [ds,
               _query_var("site", f"label_values({self._series()}, site)"),
               _query_var("job", f"label_values({self._series(site + job_filter)}, job)")]
        if self.instance:
            job = 'job=~"$job"'
            out.append(_query_var("instance", f"label_values({self._series(f'{site}, {job}')}, instance)"))
        return out

    def _series(self, matchers: str = "") -> str:
        """The variables' series selector: `up{...}`, or `{__name__=~"up|push_time_seconds", ...}` for several."""
        names = (self.variable_metric,) if isinstance(self.variable_metric, str) else self.variable_metric
        if len(names) == 1:
            return f"{names[0]}{{{matchers}}}" if matchers else names[0]
        inner = f'__name__=~"{"|".join(names)}"' + (f", {matchers}" if matchers else "")
        return f"{{{inner}}}"


def jobs(*components: str) -> tuple[str, ...]:
    """Job names of the given components, from vvdash.jobs (KeyError on a typo)."""
    return tuple(JOB[c] for c in components)


def _query_var(name: str, query: str) -> dict:
    return {
        "name": name, "label": name.title(), "type": "query", "datasource": datasource_ref(),
        "query": {"query": query, "refId": "PrometheusVariableQueryEditor-VariableQuery"},
        "definition": query, "refresh": 2, "multi": True, "includeAll": True, "allValue": ".+",
        "current": {"selected": True, "text": ["All"], "value": ["$__all"]},
        "hide": 0, "options": [], "regex": "", "sort": 1,
    }


def scoped(expr: str, job: str, scope: Scope) -> str:
    """A shared expression (shared/exprs.py) over `job`'s series, with the dashboard's matchers."""
    return narrow(expr, selector(job), scope)


def since_success(metric: str, job: str, scope: Scope) -> str:
    """Seconds since `job` last succeeded at the stalest site shown: its stale alert's expression."""
    return f"max({scoped(exprs.seconds_since_success(metric, job), job, scope)})"


def narrow(expr: str, selector: str, scope: Scope) -> str:
    """A shared expression (shared/exprs.py) with the dashboard's matchers added to its selector.

    The expression stays the one the alert uses; only the variables' filter is added.
    """
    if selector not in expr:
        raise ValueError(f"selector {selector!r} not found in {expr!r}")
    return expr.replace(selector, f"{selector}, {scope.matchers}")


# -- thresholds (values come from the inventory, as in the alerts) --------------
def steps(*pairs) -> dict:
    """steps(("green", None), ("red", 0.05)) -> Grafana's absolute thresholds."""
    return {"mode": "absolute", "steps": [{"color": c, "value": v} for c, v in pairs]}


def above(warn=None, crit=None) -> dict:
    """Green below, orange from `warn`, red from `crit` (either may be None)."""
    pairs = [("green", None)]
    if warn is not None:
        pairs.append(("orange", warn))
    if crit is not None:
        pairs.append(("red", crit))
    return steps(*pairs)


def below(crit=None, warn=None) -> dict:
    """Red below `crit`, orange below `warn`, green above."""
    pairs = [("red" if crit is not None else "green", None)]
    if crit is not None:
        pairs.append(("orange" if warn is not None else "green", crit))
    if warn is not None:
        pairs.append(("green", warn))
    return steps(*pairs)


NEUTRAL = steps(("green", None))


# -- targets ---------------------------------------------------------------------
def q(expr: str, legend: str = "", instant: bool = False, fmt: str = "time_series") -> Target:
    """A target; one-number panels pass instant=True (their reduction needs only the value at the end)."""
    return Target(expr=expr, legend=legend, instant=instant, format=fmt)


# -- panels ----------------------------------------------------------------------
# What Grafana 12 writes into a time series panel's fieldConfig.defaults.custom on save, where the builders
# below do not set the key themselves: written out so a save in the UI changes nothing.
HIDE_FROM_NONE = {"legend": False, "tooltip": False, "viz": False}
GRAPH_FIELD_DEFAULTS = {
    "axisBorderShow": False, "axisCenteredZero": False, "axisColorMode": "text", "axisLabel": "",
    "barAlignment": 0, "barWidthFactor": 0.6, "gradientMode": "none", "hideFrom": HIDE_FROM_NONE,
    "insertNulls": False, "lineInterpolation": "linear", "pointSize": 5, "scaleDistribution": {"type": "linear"},
}


def _defaults(thresholds: dict, custom: dict | None = None, **defaults) -> dict:
    """fieldConfig.defaults without the unit (the Panel adds it): thresholds, mappings, color, custom."""
    cfg = {"thresholds": thresholds, "mappings": defaults.pop("mappings", []),
           "color": defaults.pop("color", {"mode": "thresholds"})}
    if custom is not None:
        cfg["custom"] = custom
    cfg.update({k: v for k, v in defaults.items() if v is not None})
    return cfg


def _panel(kind: str, title: str, description: str, unit: Unit, targets: list, defaults: dict, options: dict,
           w: int, h: int, **more) -> Panel:
    return Panel(type=kind, title=title, description=description, unit=unit, targets=list(targets),
                 defaults=defaults, options=options, width=w, height=h, **more)


def recorded_resolution(panel: Panel) -> Panel:
    """A panel drawn from 5 m recorded rates steps at least 5 m: finer steps would only redraw the same
    5-minute windows (and cost a quantile or heatmap per step)."""
    panel.interval = records.RATE_WINDOW
    # The fleet rollups run every 5 minutes (rules/fleet.py).
    panel.description += (" With the site variable on All, the fleet's figures are recorded every 5 minutes, "
                          "so the newest point can be up to 5 minutes old.")
    return panel


def downsampled(panel: Panel) -> Panel:
    """A panel drawn from downsampled records steps at least their window: each step then holds one."""
    panel.interval = records.DOWNSAMPLE_WINDOW
    return panel


def timeseries(title: str, description: str, unit: Unit, targets: list, *, thresholds=NEUTRAL, w=12, h=8,
               min=None, max=None, stack=False, bars=False, threshold_lines=False, legend_calcs=()) -> Panel:
    custom = {
        **GRAPH_FIELD_DEFAULTS,
        "drawStyle": "bars" if bars else "line", "lineWidth": 1, "fillOpacity": 40 if bars else 10,
        "showPoints": "never", "spanNulls": False, "axisPlacement": "auto",
        "stacking": {"mode": "normal" if stack else "none", "group": "A"},
        "thresholdsStyle": {"mode": "dashed" if threshold_lines else "off"},
    }
    fc = _defaults(thresholds, custom, color={"mode": "palette-classic"}, min=min, max=max)
    legend = {"displayMode": "table" if legend_calcs else "list", "placement": "bottom", "showLegend": True,
              "calcs": list(legend_calcs)}
    options = {"legend": legend, "tooltip": {"mode": "multi", "sort": "desc", "hideZeros": False}, "timezone": []}
    return _panel("timeseries", title, description, unit, targets, fc, options, w, h)


def stat(title: str, description: str, unit: Unit, targets: list, *, thresholds=NEUTRAL, w=4, h=4,
         calc="lastNotNull", mappings=(), graph=True, decimals=None, no_value=None) -> Panel:
    fc = _defaults(thresholds, mappings=list(mappings), decimals=decimals, noValue=no_value)
    options = {"reduceOptions": {"calcs": [calc], "fields": "", "values": False}, "colorMode": "value",
               # An instant query has no series to draw a sparkline from.
               "graphMode": "area" if graph and not all(t.instant for t in targets) else "none",
               "justifyMode": "auto", "orientation": "auto",
               "textMode": "auto", "wideLayout": True, "showPercentChange": False,
               "percentChangeColorMode": "standard"}
    return _panel("stat", title, description, unit, targets, fc, options, w, h)


def gauge(title: str, description: str, unit: Unit, targets: list, *, thresholds=NEUTRAL, w=6, h=6,
          min=0, max=None) -> Panel:
    fc = _defaults(thresholds, min=min, max=max)
    options = {"reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False},
               "showThresholdLabels": False, "showThresholdMarkers": True, "orientation": "auto",
               "minVizHeight": 75, "minVizWidth": 75, "sizing": "auto",
               # Grafana 12.4's gauge: the classic shape; earlier releases ignore these keys.
               "shape": "gauge", "barShape": "flat", "barWidthFactor": 0.5, "segmentCount": 1,
               "segmentSpacing": 0.3, "effects": {}, "endpointMarker": "point", "sparkline": True,
               "textMode": "auto"}
    return _panel("gauge", title, description, unit, targets, fc, options, w, h)


def bargauge(title: str, description: str, unit: Unit, targets: list, *, thresholds=NEUTRAL, w=12, h=8,
             calc="lastNotNull", min=0, max=None) -> Panel:
    fc = _defaults(thresholds, min=min, max=max)
    options = {"reduceOptions": {"calcs": [calc], "fields": "", "values": False},
               "displayMode": "gradient", "orientation": "horizontal", "showUnfilled": True,
               "valueMode": "color", "namePlacement": "auto", "sizing": "auto",
               "minVizHeight": 16, "minVizWidth": 8, "maxVizHeight": 300,
               "legend": {"displayMode": "list", "placement": "bottom", "showLegend": False, "calcs": []}}
    return _panel("bargauge", title, description, unit, targets, fc, options, w, h)


def table(title: str, description: str, unit: Unit, targets: list, *, thresholds=NEUTRAL, w=12, h=8,
          exclude=("Time",), sort_by=None) -> Panel:
    # No footer: Grafana 12.2+ reads it from fieldConfig.defaults.custom.footer and drops options.footer; without
    # either, every release shows none.
    fc = _defaults(thresholds, {"align": "auto", "cellOptions": {"type": "auto"}, "filterable": False,
                                          "inspect": False})
    options = {"showHeader": True, "cellHeight": "sm", "frameIndex": 0, "showTypeIcons": False,
               "sortBy": [{"displayName": sort_by, "desc": True}] if sort_by else []}
    organize = {"id": "organize", "options": {"excludeByName": {name: True for name in exclude}, "indexByName": {},
                                              "renameByName": {}}}
    return _panel("table", title, description, unit, targets, fc, options, w, h, transformations=[organize])


def heatmap(title: str, description: str, unit: Unit, targets: list, *, w=12, h=8) -> Panel:
    fc = {"custom": {"hideFrom": {"legend": False, "tooltip": False, "viz": False},
                     "scaleDistribution": {"type": "linear"}}}
    options = {"calculate": False, "cellGap": 1, "yAxis": {"axisPlacement": "left", "unit": str(unit)},
               "rowsFrame": {"layout": "auto"}, "showValue": "never",
               "color": {"mode": "scheme", "scheme": "Oranges", "steps": 64, "fill": "dark-orange",
                         "exponent": 0.5, "scale": "exponential", "reverse": False},
               "filterValues": {"le": 1e-9}, "legend": {"show": True}, "cellValues": {}, "selectionMode": "x",
               "tooltip": {"mode": "single", "yHistogram": False, "showColorScale": False},
               "exemplars": {"color": "rgba(255,0,255,0.7)"}}
    return _panel("heatmap", title, description, unit, targets, fc, options, w, h)


def state_timeline(title: str, description: str, unit: Unit, targets: list, *, mappings=(),
                   thresholds=NEUTRAL, w=24, h=6) -> Panel:
    fc = _defaults(thresholds, {"fillOpacity": 70, "lineWidth": 0,
                                          "hideFrom": dict(HIDE_FROM_NONE)},
                       mappings=list(mappings))
    options = {"mergeValues": True, "showValue": "auto", "alignValue": "left", "rowHeight": 0.9, "perPage": 20, "timezone": [],
               "legend": {"displayMode": "list", "placement": "bottom", "showLegend": True, "calcs": []},
               "tooltip": {"mode": "single", "sort": "none", "hideZeros": False}}
    return _panel("state-timeline", title, description, unit, targets, fc, options, w, h)


def text(title: str, description: str, content: str, *, w=24, h=3) -> Panel:
    options = {"content": content, "mode": "markdown",
               "code": {"language": "plaintext", "showLineNumbers": False, "showMiniMap": False}}
    return Panel(type="text", title=title, description=description, options=options, width=w, height=h)


def row(title: str) -> Row:
    return Row(title=title)


def drilldown(panel: Panel, *keys: str) -> Panel:
    """Panel links to other dashboards (by module name), keeping the time range and the site selection."""
    panel.links = [{"title": f"Open {uid(key)}", "targetBlank": False,
                    "url": f"/d/{uid(key)}?${{__url_time_range}}&${{site:queryparam}}"} for key in keys]
    return panel


def value_map(mapping: dict) -> list:
    """{0: ("Down", "red"), 1: ("Up", "green")} -> Grafana value mappings."""
    return [{"type": "value", "options": {str(k): {"text": t, "color": c, "index": i}
                                          for i, (k, (t, c)) in enumerate(sorted(mapping.items()))}}]


UP_DOWN = value_map({0: ("Down", "red"), 1: ("Up", "green")})


def service_health(title: str, sc: Scope) -> Panel:
    """self_monitor's health probe of each service over time (the overview and maintenance show it)."""
    return downsampled(state_timeline(
        title, "1 when self_monitor's health probes of the service passed. " + DOWNSAMPLED_MIN, Unit.NONE,
        [q(f"max by (service) ({sc.over_step('vv_self_monitor_service_up')})", "{{service}}")], mappings=UP_DOWN, h=6))


# -- the dashboard ------------------------------------------------------------------
def alert_annotation() -> dict:
    """Firing alerts from Prometheus' ALERTS series, drawn on every time panel."""
    return {
        "name": "Firing alerts", "enable": True, "hide": False, "iconColor": "red",
        "datasource": datasource_ref(), "expr": 'ALERTS{alertstate="firing"}', "step": "60s",
        "titleFormat": "{{alertname}}", "textFormat": "{{severity}}: {{alertname}} {{job}} {{instance}}",
        "tagKeys": "severity,site", "useValueForTime": False,
    }


def _builtin_annotation() -> dict:
    return {"builtIn": 1, "datasource": {"type": "grafana", "uid": "-- Grafana --"}, "enable": True,
            "hide": True, "iconColor": "rgba(0, 211, 255, 1)", "name": "Annotations & Alerts", "type": "dashboard"}


def build(inv, *, module: str, title: str, description: str, tags: tuple[str, ...], scope: Scope,
              panels: list, refresh: str = "30s", time_from: str = "now-6h") -> Dashboard:
    """A finished dashboard: variables, annotations, links to the others, the panels in reading order.

    `module` is the defining module's `__name__`: the uid follows from it (shared/dashboards.py).
    """
    # The dropdown listing every dashboard tagged TAG, keeping time range and variables.
    links = [{"asDropdown": True, "icon": "external link", "includeVars": True, "keepTime": True, "tags": [TAG],
              "targetBlank": False, "title": "VV dashboards", "tooltip": "", "type": "dashboards", "url": ""}]
    return Dashboard(
        uid=uid(module.rpartition(".")[2]), title=title, description=description, tags=[TAG, *tags],
        panels=panels, variables=scope.variables(inv), annotations=[_builtin_annotation(), alert_annotation()],
        links=links, refresh=refresh, time_from=time_from)
