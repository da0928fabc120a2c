"""The dashboard linter: grafana/dashboard-linter's rule set plus the model rules vvdash needs.

Rules from grafana/dashboard-linter (same names): template-datasource-rule,
template-job-rule, template-instance-rule, template-label-promql-rule,
template-on-time-change-reload-rule, panel-datasource-rule, panel-title-description-rule,
panel-units-rule, panel-no-targets-rule, target-promql-rule, target-rate-interval-rule
(here also for increase()), target-job-rule, target-instance-rule, target-counter-agg-rule.
vvdash's own: uid-rule (present, well-formed, unique), panel-id-rule (set, unique),
panel-gridpos-rule (inside 24 columns), panel-overlap-rule, schema-version-rule,
panel-angular-rule.

Every finding names the dashboard and, where there is one, the panel or variable.
Exceptions live in one file (dashboards/lint-exceptions.yaml), each with a reason.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import promql_parser as pp
import yaml

from vvdash import project_folder
from vvdash.check.query_cost import ONE_NUMBER_PANELS, RecordIndex, job_matches
from vvdash.check.contract import (
    VARIABLE_PREFIX, is_bare_label_values, label_values, substitute_variables, variable_query,
)
from vvdash.errors import VVError
from vvdash.findings import Finding
from vvdash.model.dashboards import (
    ANGULAR_PANEL_TYPES, DATA_PANEL_TYPES, DATASOURCE_TYPE, GRID_COLUMNS, MODERN_PANEL_TYPES,
    SCHEMA_VERSION, DashboardDef, iter_panels,
)

CHECK = "dashboard-lint"
EXCEPTIONS_FILE = "dashboards/lint-exceptions.yaml"     # in the project folder

RULES = {
    "template-datasource-rule": "The dashboard has a Prometheus datasource variable named 'datasource'.",
    "template-job-rule": "The dashboard has a 'job' query variable: $datasource, multi, allValue '.+'.",
    "template-instance-rule": "The dashboard has an 'instance' query variable: $datasource, multi, allValue '.+'.",
    "template-label-promql-rule": "Variable queries are valid PromQL.",
    "template-on-time-change-reload-rule": "Query variables refresh on time range change.",
    "panel-datasource-rule": "Panels and their targets use the datasource variable as a {type, uid} object.",
    "panel-title-description-rule": "Panels have a title and a description.",
    "panel-units-rule": "Data panels have a valid unit.",
    "panel-no-targets-rule": "Data panels have at least one query.",
    "target-promql-rule": "Queries (and annotation queries) are valid PromQL.",
    "target-rate-interval-rule": "rate(), irate() and increase() use $__rate_interval.",
    "target-job-rule": "Every selector has a job=~\"$job\" matcher.",
    "target-instance-rule": "Every selector has an instance=~\"$instance\" matcher (recorded series: when "
                            "their level keeps instance).",
    "target-counter-agg-rule": "Counters (_total) are only used inside rate(), irate() or increase().",
    "uid-rule": "Every dashboard has a well-formed uid, unique among the dashboards.",
    "panel-id-rule": "Every panel has an integer id, unique in its dashboard.",
    "panel-gridpos-rule": "Every panel has a gridPos inside the 24-column grid.",
    "panel-overlap-rule": "No two panels' gridPos overlap.",
    "schema-version-rule": f"schemaVersion is current ({SCHEMA_VERSION}).",
    "panel-angular-rule": "Only modern (React) panel types; no Angular graph/singlestat.",
    "panel-job-scope-rule": "A selector matches only jobs its dashboard shows (the job variable's jobs), whatever "
                            "the variable says: series every job exposes (up, process_*) need the panel's own job "
                            "matcher, since the variable's All is '.+'.",
    "query-cost-recorded-rule": "No quantile or ratio over raw series whose rate a recording rule records: "
                                "read the record (one sample per series per step instead of every scrape).",
    "query-cost-instant-rule": "One-number panels (stat, gauge, bargauge) run instant queries, not range queries.",
    "query-cost-downsampled-rule": "Range queries do not draw a raw gauge or count that a downsampling record "
                                   "keeps (rules/downsample.py), nor a record that has a 5-minute copy, nor the "
                                   "rate of a raw counter that a 5-minute group records: over days Prometheus "
                                   "decodes every sample whatever the step; reduce the downsampled record, the "
                                   "copy or the rate's record over the step instead.",
}

# Grafana's unit ids (packages/grafana-data/src/valueFormats/categories.ts), as the upstream linter lists them.
VALID_UNITS = frozenset("""
none string short percent percentunit humidity dB hex0x hex sci locale pixel accMS2 accFS2 accG degree radian
grad arcmin arcsec areaM2 areaF2 areaMI2 flops mflops gflops tflops pflops eflops zflops yflops ppm conppb
conngm3 conngNm3 conμgm3 conμgNm3 conmgm3 conmgNm3 congm3 congNm3 conmgdL conmmolL currencyUSD currencyGBP
currencyEUR currencyJPY bytes decbytes bits decbits kbytes deckbytes mbytes decmbytes gbytes decgbytes tbytes
dectbytes pbytes decpbytes pps binBps Bps binbps bps KiBs Kibits KBs Kbits MiBs Mibits MBs Mbits GiBs Gibits GBs
Gbits TiBs Tibits TBs Tbits PiBs Pibits PBs Pbits dateTimeAsIso dateTimeAsIsoNoDateIfToday dateTimeAsUS
dateTimeAsUSNoDateIfToday dateTimeAsLocal dateTimeAsLocalNoDateIfToday dateTimeAsSystem dateTimeFromNow watt
kwatt megwatt gwatt mwatt Wm2 voltamp kvoltamp voltampreact kvoltampreact watth watthperkg kwatth kwattm amph
kamph mamph joule ev amp kamp mamp volt kvolt mvolt dBm ohm kohm Mohm farad lumens flowgpm flowcms flowcfs
flowcfm litreh flowlpm flowmlpm lux forceNm forcekNm forceN forcekN Hs KHs MHs GHs THs PHs EHs massmg massg
masslb masskg masst lengthmm lengthin lengthft lengthm lengthkm lengthmi pressurembar pressurebar pressurekbar
pressurepa pressurehpa pressurekpa pressurehg pressurepsi celsius fahrenheit kelvin hertz ns µs ms s m h d
dtdurationms dtdurations dthms dtdhms timeticks clockms clocks cps ops reqps rps wps iops cpm opm rpm wpm
velocityms velocitykmh velocitymph velocityknot mlitre litre m3 Nm3 dm3 gallons bool bool_yes_no bool_on_off
""".split())

_UID = re.compile(r"^[A-Za-z0-9_-]{1,40}$")
_DS_VARIABLE_UIDS = ("$datasource", "${datasource}")
# The expression is parsed twice, $__rate_interval standing for a different duration each time:
# a range that differs between the two parses is $__rate_interval, one that does not was written
# by hand (whatever duration it spells).
_RATE_INTERVAL_STANDINS = ("7777s777ms", "8888s888ms")
_RATE_FUNCS = ("rate", "irate", "increase")


# -- exceptions -------------------------------------------------------------------
@dataclass(frozen=True)
class LintException:
    rule: str
    dashboard: str          # uid
    panel: str | None       # panel title or variable name; None: the whole dashboard
    reason: str


def load_exceptions(path: Path | str | None = None) -> list[LintException]:
    """Read the exceptions file; a missing file means no exceptions, a bad entry is a one-line error."""
    path = Path(path) if path else project_folder.path(EXCEPTIONS_FILE)
    if not path.exists():
        return []
    try:
        data = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as exc:
        raise VVError(f"{path}: not valid YAML: {str(exc).splitlines()[0]}") from None
    entries = data.get("exceptions", []) if isinstance(data, dict) else None
    if not isinstance(entries, list):
        raise VVError(f"{path}: exceptions: expected a list of {{rule, dashboard, panel, reason}}")
    out = []
    for i, entry in enumerate(entries):
        where = f"{path}: exceptions[{i}]"
        if not isinstance(entry, dict):
            raise VVError(f"{where}: expected a mapping with rule, dashboard, reason")
        unknown = sorted(set(entry) - {"rule", "dashboard", "panel", "reason"})
        if unknown:
            raise VVError(f"{where}.{unknown[0]}: unknown key (allowed: dashboard, panel, reason, rule)")
        for key in ("rule", "dashboard", "reason"):
            if not isinstance(entry.get(key), str) or not entry[key].strip():
                raise VVError(f"{where}.{key}: missing required key (every exception needs a rule, a dashboard "
                              f"and a reason)")
        if entry["rule"] not in RULES:
            raise VVError(f"{where}.rule: unknown rule {entry['rule']!r}")
        panel = entry.get("panel")
        if panel is not None and not isinstance(panel, str):
            raise VVError(f"{where}.panel: expected a panel title, got {panel!r}")
        out.append(LintException(entry["rule"], entry["dashboard"], panel, entry["reason"].strip()))
    return out


# -- findings -----------------------------------------------------------------------
@dataclass(frozen=True)
class _Hit:
    rule: str
    dashboard: str
    element: str | None     # panel title / variable name
    kind: str               # "panel", "variable", "annotation" or ""
    message: str

    def finding(self) -> Finding:
        where = f"dashboard {self.dashboard}"
        if self.kind:
            where += f' / {self.kind} "{self.element}"'
        return Finding(where, f"{self.rule}: {self.message}", CHECK)

    def excused_by(self, exc: LintException) -> bool:
        return (exc.rule == self.rule and exc.dashboard == self.dashboard
                and (exc.panel is None or exc.panel == self.element))


def lint(models, exceptions=(), records: RecordIndex | None = None) -> list[Finding]:
    """Findings for dashboards (Grafana JSON dicts or DashboardDefs), minus the excused ones.

    records: what the recording rules read and keep (default: the project's rules).
    An exception that excuses nothing is itself a finding, so stale exceptions do not pile up.
    """
    dashboards = [m.model if isinstance(m, DashboardDef) else m for m in models]
    records = records if records is not None else RecordIndex.of_project()
    hits: list[_Hit] = []
    hits += _uids(dashboards)
    for model in dashboards:
        hits += _Dashboard(model, records).hits
    used = set()
    kept = []
    for hit in hits:
        excuse = next((e for e in exceptions if hit.excused_by(e)), None)
        if excuse is None:
            kept.append(hit)
        else:
            used.add(excuse)
    findings = [h.finding() for h in kept]
    for exc in exceptions:
        if exc not in used:
            where = f"dashboard {exc.dashboard}" + (f' / panel "{exc.panel}"' if exc.panel else "")
            findings.append(Finding(where, f"{exc.rule}: exception matches no finding; remove it from "
                                           f"{Path(EXCEPTIONS_FILE).name}", CHECK))
    return sorted(set(findings))


def check_project(project) -> list[Finding]:
    """The linter over the project's dashboards, with the exceptions file; also every alert's dashboard exists."""
    findings = lint(project.dashboards, load_exceptions(), RecordIndex.of_rules(project.records()))
    uids = {d.uid for d in project.dashboards}
    for rule_file in project.rule_files:
        for group, rule in rule_file.rules():
            target = getattr(rule, "dashboard", None)
            if target and target not in uids:
                findings.append(Finding(f"rules {group.name} / {rule.name}",
                                        f"dashboard {target!r} does not exist (uids: {', '.join(sorted(uids))})",
                                        CHECK))
    return findings


def _uids(dashboards: list[dict]) -> list[_Hit]:
    hits = []
    seen: dict[str, str] = {}
    for model in dashboards:
        uid = model.get("uid") or ""
        name = uid or model.get("title", "(untitled)")
        if not uid:
            hits.append(_Hit("uid-rule", name, None, "", "has no uid"))
            continue
        if not _UID.match(uid):
            hits.append(_Hit("uid-rule", name, None, "", f"uid {uid!r} must be 1-40 of [A-Za-z0-9_-]"))
        if uid in seen:
            hits.append(_Hit("uid-rule", name, None, "",
                             f"uid {uid!r} is also used by dashboard {seen[uid]!r}"))
        seen.setdefault(uid, model.get("title", ""))
    return hits


# -- PromQL helpers -------------------------------------------------------------------
def _parse(expr: str, standin: str = _RATE_INTERVAL_STANDINS[0]):
    return pp.parse(substitute_variables(expr, rate_interval=standin))


def _rate_interval_ranges(expr: str) -> set[int]:
    """Positions (in _walk order) of the range selectors whose range is $__rate_interval."""
    first, second = (_walk(_parse(expr, standin)) for standin in _RATE_INTERVAL_STANDINS)
    return {i for i, ((a, _), (b, _)) in enumerate(zip(first, second, strict=False))
            if isinstance(a, pp.MatrixSelector) and a.range != b.range}


def _children(node):
    if isinstance(node, pp.MatrixSelector):
        return [node.vector_selector]
    if isinstance(node, (pp.SubqueryExpr, pp.ParenExpr, pp.UnaryExpr)):
        return [node.expr]
    if isinstance(node, pp.Call):
        return list(node.args)
    if isinstance(node, pp.AggregateExpr):
        return [node.expr] + ([node.param] if node.param is not None else [])
    if isinstance(node, pp.BinaryExpr):
        return [node.lhs, node.rhs]
    return []


def _walk(node, parents=()):
    yield node, parents
    for child in _children(node):
        yield from _walk(child, parents + (node,))


def _matchers(selector) -> list:
    out = list(selector.matchers.matchers)
    for group in selector.matchers.or_matchers or []:
        out.extend(group)
    return out


def _shown_jobs(variable: dict | None) -> set[str] | None:
    """The jobs a dashboard's job variable offers, from its query's literal job matcher; None: every job."""
    if not variable:
        return None
    match = re.search(r'job=~?"([^"$]+)"', variable_query(variable))
    return set(match.group(1).split("|")) if match else None


def _keeps_instance(name: str) -> bool:
    """Whether a series has an instance label: raw series do; a recorded one (level:metric:operations)
    only when its level names it (`instance:...`, `instance_device:...`), as the naming convention says."""
    return ":" not in name or "instance" in name.split(":")[0].split("_")


def _selector_text(selector) -> str:
    return selector.name or "{...}"


# -- one dashboard ----------------------------------------------------------------------
class _Dashboard:
    def __init__(self, model: dict, records: RecordIndex):
        self.model = model
        self.records = records
        self.uid = model.get("uid") or model.get("title", "(untitled)")
        self.variables = {v.get("name"): v for v in model.get("templating", {}).get("list", [])}
        self.shown_jobs = _shown_jobs(self.variables.get("job"))
        self.hits: list[_Hit] = []
        self._dashboard_rules()
        self._variable_rules()
        self._panel_rules()
        self._layout_rules()
        self._annotation_rules()

    def hit(self, rule, message, element=None, kind=""):
        self.hits.append(_Hit(rule, self.uid, element, kind, message))

    # dashboard-wide
    def _dashboard_rules(self):
        version = self.model.get("schemaVersion")
        if not isinstance(version, int) or version < SCHEMA_VERSION:
            self.hit("schema-version-rule", f"schemaVersion is {version!r}, expected {SCHEMA_VERSION} "
                                            f"(set it when building the model)")

    def _variable_rules(self):
        ds = [v for v in self.variables.values() if v.get("type") == "datasource"]
        if not ds:
            self.hit("template-datasource-rule", "has no templated datasource variable")
        for v in ds:
            if v.get("name") != "datasource":
                self.hit("template-datasource-rule", f"datasource variable is named {v.get('name')!r}, "
                                                     f"should be named 'datasource'", v.get("name"), "variable")
            if v.get("query") != DATASOURCE_TYPE:
                self.hit("template-datasource-rule", f"datasource variable is of type {v.get('query')!r}, "
                                                     f"should be '{DATASOURCE_TYPE}'", v.get("name"), "variable")
        for name in ("job", "instance"):
            self._required_variable(name)
        for name, v in self.variables.items():
            if v.get("type") != "query":
                continue
            if v.get("refresh") != 2:
                self.hit("template-on-time-change-reload-rule",
                         f"refresh is {v.get('refresh')!r}, should be 2 (on time range change)", name, "variable")
            query = variable_query(v)
            parts = label_values(query)
            expr = parts[0] if parts else query
            if not is_bare_label_values(query):
                try:
                    _parse(expr)
                except (ValueError, RuntimeError) as exc:
                    self.hit("template-label-promql-rule",
                             f"invalid PromQL query {query!r}: {str(exc).splitlines()[0]}", name, "variable")

    def _required_variable(self, name: str):
        rule = f"template-{name}-rule"
        v = self.variables.get(name)
        if v is None:
            self.hit(rule, f"is missing the {name} template")
            return
        uid = v.get("datasource", {}).get("uid") if isinstance(v.get("datasource"), dict) else v.get("datasource")
        if uid not in _DS_VARIABLE_UIDS:
            self.hit(rule, f"{name} template should use datasource '$datasource', is currently {uid!r}",
                     name, "variable")
        if v.get("type") != "query":
            self.hit(rule, f"{name} template should be a Prometheus query, is currently {v.get('type')!r}",
                     name, "variable")
        if v.get("label") != name.title():
            self.hit(rule, f"{name} template should be labeled {name.title()!r}, is currently {v.get('label')!r}",
                     name, "variable")
        if not v.get("multi"):
            self.hit(rule, f"{name} template should be a multi select", name, "variable")
        if v.get("allValue") != ".+":
            self.hit(rule, f"{name} template allValue should be '.+', is currently {v.get('allValue')!r}",
                     name, "variable")

    # panels
    def _panel_rules(self):
        for panel in iter_panels(self.model):
            title = panel.get("title") or f"(untitled, id {panel.get('id')})"
            ptype = panel.get("type", "")
            self._angular(panel, title, ptype)
            if ptype == "row":
                continue
            if not panel.get("title") or not (panel.get("description") or "").strip():
                missing = "title" if not panel.get("title") else "description"
                self.hit("panel-title-description-rule", f"has no {missing}", title, "panel")
            if ptype not in DATA_PANEL_TYPES:
                continue
            self._datasource(panel, title)
            self._unit(panel, title)
            targets = [t for t in panel.get("targets") or [] if (t.get("expr") or "").strip()]
            if not targets:
                self.hit("panel-no-targets-rule", "has no queries", title, "panel")
            if ptype in ONE_NUMBER_PANELS:
                for i, target in enumerate(targets):
                    if not target.get("instant") or target.get("range"):
                        self.hit("query-cost-instant-rule",
                                 f"target {target.get('refId') or i}: a {ptype} panel shows one number per series but "
                                 f"runs a range query (every step of the range); set instant: true and reduce "
                                 f"in PromQL (e.g. avg_over_time(...[$__range:$__interval]) for a mean)",
                                 title, "panel")
            for i, target in enumerate(panel.get("targets") or []):
                if (target.get("expr") or "").strip():
                    ranged = ptype not in ONE_NUMBER_PANELS and not (target.get("instant") and not target.get("range"))
                    self._target(target["expr"], title, target.get("refId") or str(i), ranged)

    def _angular(self, panel, title, ptype):
        if ptype in ANGULAR_PANEL_TYPES:
            self.hit("panel-angular-rule", f"panel type {ptype!r} is an Angular panel (removed in Grafana 11); "
                                           f"use timeseries, stat, table...", title, "panel")
        elif ptype not in MODERN_PANEL_TYPES:
            self.hit("panel-angular-rule", f"panel type {ptype!r} is not one of the modern core panels "
                                           f"({', '.join(sorted(MODERN_PANEL_TYPES))})", title, "panel")

    def _datasource(self, panel, title):
        for what, ds in [("panel", panel.get("datasource"))] + [
                (f"target {t.get('refId', i)}", t.get("datasource")) for i, t in enumerate(panel.get("targets") or [])]:
            if not isinstance(ds, dict):
                self.hit("panel-datasource-rule", f"{what} datasource is {ds!r}, not a {{type, uid}} reference to "
                                                  f"the datasource variable", title, "panel")
            elif ds.get("uid") not in _DS_VARIABLE_UIDS or ds.get("type") != DATASOURCE_TYPE:
                self.hit("panel-datasource-rule", f"{what} does not use the templated datasource, uses "
                                                  f"{ds.get('type')!r}/{ds.get('uid')!r}", title, "panel")

    def _unit(self, panel, title):
        config = panel.get("fieldConfig") or {}
        unit = (config.get("defaults") or {}).get("unit") or ""
        for override in config.get("overrides") or []:
            for prop in override.get("properties") or []:
                if prop.get("id") == "unit" and prop.get("value") and prop["value"] not in VALID_UNITS:
                    self.hit("panel-units-rule", f"override has invalid unit {prop['value']!r}", title, "panel")
        if unit not in VALID_UNITS:
            self.hit("panel-units-rule", f"has no or invalid unit defined: {unit!r}", title, "panel")

    def _target(self, expr, title, ref, ranged=False):
        try:
            tree = _parse(expr)
        except (ValueError, RuntimeError) as exc:
            self.hit("target-promql-rule", f"target {ref}: invalid PromQL query {expr!r}: "
                                           f"{str(exc).splitlines()[0]}", title, "panel")
            return
        rate_interval = _rate_interval_ranges(expr)
        self._cost(tree, expr, title, ref)
        if ranged:
            self._downsampled(tree, title, ref)
        for i, (node, parents) in enumerate(_walk(tree)):
            if isinstance(node, pp.MatrixSelector) and parents and isinstance(parents[-1], pp.Call) \
                    and parents[-1].func.name in _RATE_FUNCS and i not in rate_interval:
                self.hit("target-rate-interval-rule", f"target {ref}: {parents[-1].func.name}() should use "
                                                      f"$__rate_interval: {expr!r}", title, "panel")
            if not isinstance(node, pp.VectorSelector):
                continue
            name = node.name or ""
            self._job_scope(node, name, title, ref)
            if name.endswith("_total") and not (
                    len(parents) >= 2 and isinstance(parents[-1], pp.MatrixSelector)
                    and isinstance(parents[-2], pp.Call) and parents[-2].func.name in _RATE_FUNCS):
                self.hit("target-counter-agg-rule", f"target {ref}: counter metric {name!r} is not aggregated "
                                                    f"with rate, irate, or increase", title, "panel")
            for label in ("job", "instance"):
                if label == "instance" and not _keeps_instance(name):
                    continue
                if not any(m.name == label and str(m.op).endswith("Re") and m.value == f"{VARIABLE_PREFIX}{label}"
                           for m in _matchers(node)):
                    self.hit(f"target-{label}-rule", f"target {ref}: selector {_selector_text(node)} has no "
                                                     f'{label}=~"${label}" matcher', title, "panel")

    def _job_scope(self, node, name, title, ref):
        if self.shown_jobs is None:
            return
        job_var = self.variables.get("job") or {}
        all_value = job_var.get("allValue") or ".*"
        matchers = [m for m in _matchers(node) if m.name == "job"]
        candidates = self.records.exposing_jobs(name)
        matched = {job for job in candidates if all(job_matches(m, job, all_value) for m in matchers)}
        extra = sorted(matched - self.shown_jobs)
        if extra:
            self.hit("panel-job-scope-rule",
                     f"target {ref}: selector {_selector_text(node)} can match job(s) {', '.join(extra)} this "
                     f"dashboard does not show (its job variable offers {', '.join(sorted(self.shown_jobs))}; "
                     f"All sends {all_value!r}); add the panel's own job matcher", title, "panel")

    def _cost(self, tree, expr, title, ref):
        for node, _ in _walk(tree):
            if isinstance(node, pp.Call) and node.func.name == "histogram_quantile":
                for raw, record in self._raw_rates(node):
                    self.hit("query-cost-recorded-rule",
                             f"target {ref}: histogram_quantile over the raw {raw} rate; the recording rule "
                             f"{record} records it: sum its per-site rate by le instead", title, "panel")
            elif isinstance(node, pp.BinaryExpr) and str(node.op) == "/":
                sides = [self._raw_rates(node.lhs), self._raw_rates(node.rhs)]
                if sides[0] and sides[1]:
                    raw, record = sides[0][0]
                    self.hit("query-cost-recorded-rule",
                             f"target {ref}: ratio of raw {raw} rates; the recording rule {record} records "
                             f"that rate: divide sums of the record instead", title, "panel")

    def _downsampled(self, tree, title, ref):
        for node, parents in _walk(tree):
            if not isinstance(node, pp.VectorSelector):
                continue
            name = node.name or ""
            record, copy = self.records.downsampled_by(name), self.records.copied_by(name)
            rated = len(parents) >= 2 and isinstance(parents[-1], pp.MatrixSelector) \
                and isinstance(parents[-2], pp.Call) and parents[-2].func.name == "rate"
            slow = self.records.rate_every5m_by(name) if rated else None
            why = (f"the raw {name}; the downsampling record {record} keeps it: reduce the record over the step "
                   f"(e.g. Scope.over_step, Scope.count)" if record else
                   f"the record {name}, evaluated at the normal interval; its copy {copy} is evaluated every "
                   f"5 minutes: reduce the copy over the step (Scope.copy_over_step)" if copy else
                   f"the raw {name}'s rate; the record {slow} holds it every 5 minutes: average the record "
                   f"over the step (e.g. Scope.per_container, Scope.copy_over_step)" if slow else "")
            if why:
                self.hit("query-cost-downsampled-rule", f"target {ref}: a range query over {why}", title, "panel")

    def _raw_rates(self, node) -> list[tuple[str, str]]:
        """(raw series, record) for each rate()/increase() of a raw series under `node` that a record reads."""
        out: list[tuple[str, str]] = []
        for child, parents in _walk(node):
            if isinstance(child, pp.VectorSelector) and len(parents) >= 2 \
                    and isinstance(parents[-1], pp.MatrixSelector) and isinstance(parents[-2], pp.Call) \
                    and parents[-2].func.name in _RATE_FUNCS:
                record = self.records.rate_recorded(child.name or "")
                if record:
                    out.append((child.name or "", record))
        return out

    # layout
    def _layout_rules(self):
        boxes = []
        ids: dict = {}
        for panel in iter_panels(self.model):
            title = panel.get("title") or f"(untitled, id {panel.get('id')})"
            pid = panel.get("id")
            if not isinstance(pid, int) or isinstance(pid, bool):
                self.hit("panel-id-rule", f"has no integer id (id: {pid!r})", title, "panel")
            elif pid in ids:
                self.hit("panel-id-rule", f"id {pid} is also used by panel {ids[pid]!r}", title, "panel")
            else:
                ids[pid] = title
            pos = panel.get("gridPos")
            if not isinstance(pos, dict) or not all(isinstance(pos.get(k), int) for k in ("x", "y", "w", "h")):
                self.hit("panel-gridpos-rule", f"gridPos must have integer x, y, w, h; got {pos!r}", title, "panel")
                continue
            if pos["w"] < 1 or pos["h"] < 1 or pos["x"] < 0 or pos["y"] < 0 or pos["x"] + pos["w"] > GRID_COLUMNS:
                self.hit("panel-gridpos-rule", f"gridPos x={pos['x']} w={pos['w']} h={pos['h']} y={pos['y']} is "
                                               f"outside the {GRID_COLUMNS}-column grid", title, "panel")
                continue
            if panel in self.model.get("panels", []):   # panels inside a collapsed row are laid out on expand
                boxes.append((title, pos))
        for i, (title_a, a) in enumerate(boxes):
            for title_b, b in boxes[:i]:
                if a["x"] < b["x"] + b["w"] and b["x"] < a["x"] + a["w"] and \
                        a["y"] < b["y"] + b["h"] and b["y"] < a["y"] + a["h"]:
                    self.hit("panel-overlap-rule", f"gridPos overlaps panel {title_b!r}", title_a, "panel")

    def _annotation_rules(self):
        for annotation in self.model.get("annotations", {}).get("list", []):
            expr = annotation.get("expr")
            if not expr:
                continue
            name = annotation.get("name", "")
            try:
                _parse(expr)
            except (ValueError, RuntimeError) as exc:
                self.hit("target-promql-rule", f"invalid PromQL query {expr!r}: {str(exc).splitlines()[0]}",
                         name, "annotation")
