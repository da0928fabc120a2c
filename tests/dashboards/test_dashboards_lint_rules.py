"""One failing fixture per linter rule, each caught with its message; exceptions file behaviour."""

from __future__ import annotations

import pytest

from tests.dashboards.fixtures import SEL, good, panel, variable
from vvdash.check.dashboard_lint import RULES, LintException, lint, load_exceptions
from vvdash.errors import VVError
from vvdash.model.dashboards import SCHEMA_VERSION

D = "dashboard fixture"
QD = 'dashboard fixture / panel "Queue depth"'
VC = 'dashboard fixture / panel "Videos completed"'


def _drop_var(name):
    def mutate(m):
        m["templating"]["list"] = [v for v in m["templating"]["list"] if v["name"] != name]
    return mutate


def _set(getter, **values):
    def mutate(m):
        getter(m).update(values)
    return mutate


def _expr(title, expr):
    def mutate(m):
        panel(m, title)["targets"][0]["expr"] = expr
    return mutate


def _move(title, **pos):
    def mutate(m):
        panel(m, title)["gridPos"].update(pos)
    return mutate


def _target_ds(m):
    panel(m, "Queue depth")["targets"][0]["datasource"] = {"type": "prometheus", "uid": "P1809F7CD0C75ACF3"}


def _no_unit(m):
    panel(m, "Queue depth")["fieldConfig"]["defaults"]["unit"] = ""


CPU_COPY = "instance:process_cpu_seconds:rate5m_every5m"     # every process's CPU, every 5 minutes


def _summarizer_cpu(m):
    """The summarizer dashboard's bug: a per-process panel on a dashboard about one job."""
    variable(m, "job")["query"] = {"query": 'label_values(up{site=~"$site", job=~"orchestrator|summarize_scene"}, job)'}
    panel(m, "Videos completed")["targets"][0]["expr"] = (
        f"sum by (instance) (avg_over_time({CPU_COPY}{{{SEL}}}[$__interval]))")


def _one_number(m):
    p = panel(m, "Queue depth")
    p["type"] = "stat"
    p["targets"][0].update(instant=False, range=True)


CASES = [
    ("panel-job-scope-rule", _summarizer_cpu, VC,
     f"selector {CPU_COPY} can match job(s) agent_dvr, alertmanager"),
    ("query-cost-recorded-rule",
     _expr("Videos completed", f"histogram_quantile(0.95, sum by (le) "
                               f"(rate(vv_scan_video_duration_seconds_bucket{{{SEL}}}[$__rate_interval])))"),
     VC, "histogram_quantile over the raw vv_scan_video_duration_seconds_bucket rate; the recording rule "
         "stage:vv_pipeline_duration_seconds_bucket:rate5m records it"),
    ("query-cost-recorded-rule",
     _expr("Videos completed", f'sum(rate(vv_videos_processed_total{{{SEL}, status="failure"}}[$__rate_interval]))'
                               f" / sum(rate(vv_videos_processed_total{{{SEL}}}[$__rate_interval]))"),
     VC, "ratio of raw vv_videos_processed_total rates; the recording rule status:vv_videos_processed:rate5m"),
    ("query-cost-downsampled-rule", _expr("Queue depth", f"sum(vv_videos_in_input_queue{{{SEL}}})"), QD,
     "target A: a range query over the raw vv_videos_in_input_queue; the downsampling record "
     "instance:vv_videos_in_input_queue:max_over_time5m keeps it"),
    ("query-cost-downsampled-rule",
     _expr("Videos completed", f"sum(increase(vv_cleanup_runs_total{{{SEL}}}[$__rate_interval]))"), VC,
     "a range query over the raw vv_cleanup_runs_total; the downsampling record "
     "instance_status_dry_run:vv_cleanup_runs:increase5m keeps it"),
    # A record evaluated at the normal interval that has a 5-minute copy, drawn over the range.
    ("query-cost-downsampled-rule",
     _expr("Videos completed", f'sum by (job) (instance:process_cpu_seconds:rate5m{{{SEL}, job="orchestrator"}})'),
     VC, "a range query over the record instance:process_cpu_seconds:rate5m, evaluated at the normal interval; its "
         "copy instance:process_cpu_seconds:rate5m_every5m is evaluated every 5 minutes"),
    # cAdvisor's series: per-container records every 5 minutes (shared/records.CONTAINERS).
    ("query-cost-downsampled-rule",
     _expr("Queue depth", f'sum by (name) (container_memory_working_set_bytes{{{SEL}, name!=""}})'), QD,
     "a range query over the raw container_memory_working_set_bytes; the downsampling record "
     "instance_name:container_memory_working_set_bytes:max_over_time5m keeps it"),
    ("query-cost-downsampled-rule",
     _expr("Queue depth", f"sum by (name) (rate(container_cpu_usage_seconds_total{{{SEL}}}[$__rate_interval]))"), QD,
     "a range query over the raw container_cpu_usage_seconds_total's rate; the record "
     "instance_name:container_cpu_usage_seconds:rate5m holds it every 5 minutes"),
    # The open-files share of the limit is one downsampled record over both gauges.
    ("query-cost-downsampled-rule", _expr("Queue depth", f"max(process_open_fds{{{SEL}}})"), QD,
     "a range query over the raw process_open_fds; the downsampling record "
     "instance:process_open_fds_per_max_fds:ratio_max_over_time5m keeps it"),
    ("query-cost-instant-rule", _one_number, QD, "target A: a stat panel shows one number per series but runs a "
                                                 "range query"),
    ("template-datasource-rule", _drop_var("datasource"), D, "has no templated datasource variable"),
    ("template-datasource-rule", _set(lambda m: variable(m, "datasource"), name="ds"),
     'dashboard fixture / variable "ds"', "should be named 'datasource'"),
    ("template-job-rule", _drop_var("job"), D, "is missing the job template"),
    ("template-job-rule", _set(lambda m: variable(m, "job"), multi=False),
     'dashboard fixture / variable "job"', "job template should be a multi select"),
    ("template-instance-rule", _set(lambda m: variable(m, "instance"), allValue=None),
     'dashboard fixture / variable "instance"', "instance template allValue should be '.+', is currently None"),
    ("template-instance-rule", _set(lambda m: variable(m, "instance"), datasource={"type": "prometheus", "uid": "x"}),
     'dashboard fixture / variable "instance"', "instance template should use datasource '$datasource'"),
    ("template-label-promql-rule",
     _set(lambda m: variable(m, "site"), query={"query": "label_values(up{site=~}, site)"}),
     'dashboard fixture / variable "site"', "invalid PromQL query 'label_values(up{site=~}, site)'"),
    ("template-on-time-change-reload-rule", _set(lambda m: variable(m, "site"), refresh=1),
     'dashboard fixture / variable "site"', "refresh is 1, should be 2 (on time range change)"),
    ("panel-datasource-rule", _set(lambda m: panel(m, "Queue depth"), datasource="Prometheus"), QD,
     "panel datasource is 'Prometheus', not a {type, uid} reference"),
    ("panel-datasource-rule", _target_ds, QD,
     "target A does not use the templated datasource, uses 'prometheus'/'P1809F7CD0C75ACF3'"),
    ("panel-title-description-rule", _set(lambda m: panel(m, "Queue depth"), description=""), QD,
     "has no description"),
    ("panel-units-rule", _no_unit, QD, "has no or invalid unit defined: ''"),
    ("panel-units-rule", _set(lambda m: panel(m, "Queue depth")["fieldConfig"]["defaults"], unit="videos"), QD,
     "has no or invalid unit defined: 'videos'"),
    ("panel-no-targets-rule", _set(lambda m: panel(m, "Queue depth"), targets=[]), QD, "has no queries"),
    ("target-promql-rule", _expr("Queue depth", f"sum(vv_files_in_corrupted{{{SEL}}}"), QD,
     "target A: invalid PromQL query"),
    ("target-promql-rule", _set(lambda m: m["annotations"]["list"][0], expr="ALERTS{"),
     'dashboard fixture / annotation "Firing alerts"', "invalid PromQL query 'ALERTS{'"),
    # Fixed ranges, and hand-written ones equal to what $__rate_interval is parsed as or to the old
    # fixed stand-in (7777s777ms, 2h9m37s777ms, 7777s).
    *(("target-rate-interval-rule", _expr("Videos completed", f"sum({fn}(vv_videos_processed_total{{{SEL}}}[{rng}]))"),
       VC, f"target A: {fn}() should use $__rate_interval")
      for fn, rng in (("rate", "5m"), ("increase", "1h"), ("rate", "7777s777ms"), ("rate", "2h9m37s777ms"),
                      ("irate", "7777s"))),
    # One good range does not excuse a literal one beside it.
    ("target-rate-interval-rule",
     _expr("Videos completed", f"sum(rate(nginx_http_requests_total{{{SEL}}}[$__rate_interval])) / "
                               f"sum(rate(nginx_http_requests_total{{{SEL}}}[8888s888ms]))"),
     VC, "target A: rate() should use $__rate_interval"),
    ("target-job-rule", _expr("Queue depth", 'sum(vv_files_in_corrupted{site=~"$site", instance=~"$instance"})'),
     QD, 'target A: selector vv_files_in_corrupted has no job=~"$job" matcher'),
    ("target-instance-rule", _expr("Queue depth", 'sum(vv_files_in_corrupted{site=~"$site", job=~"$job"})'),
     QD, 'target A: selector vv_files_in_corrupted has no instance=~"$instance" matcher'),
    ("target-counter-agg-rule", _expr("Videos completed", f"sum(vv_videos_processed_total{{{SEL}}})"), VC,
     "counter metric 'vv_videos_processed_total' is not aggregated with rate, irate, or increase"),
    ("uid-rule", _set(lambda m: m, uid=None), "dashboard Fixture", "has no uid"),
    ("uid-rule", _set(lambda m: m, uid="a uid with spaces"), "dashboard a uid with spaces",
     "must be 1-40 of [A-Za-z0-9_-]"),
    ("panel-id-rule", _set(lambda m: panel(m, "Queue depth"), id=2), QD, "id 2 is also used by panel 'Videos completed'"),
    ("panel-id-rule", _set(lambda m: panel(m, "Queue depth"), id=None), QD, "has no integer id"),
    ("panel-gridpos-rule", _move("Queue depth", x=20), QD, "outside the 24-column grid"),
    ("panel-gridpos-rule", _set(lambda m: panel(m, "Queue depth"), gridPos=None), QD,
     "gridPos must have integer x, y, w, h"),
    ("panel-overlap-rule", _move("Queue depth", x=6), QD, "gridPos overlaps panel 'Videos completed'"),
    ("schema-version-rule", _set(lambda m: m, schemaVersion=12), D, f"schemaVersion is 12, expected {SCHEMA_VERSION}"),
    ("panel-angular-rule", _set(lambda m: panel(m, "Queue depth"), type="graph"), QD,
     "panel type 'graph' is an Angular panel"),
    ("panel-angular-rule", _set(lambda m: panel(m, "Queue depth"), type="singlestat"), QD,
     "panel type 'singlestat' is an Angular panel"),
]


def test_the_fixture_is_clean():
    assert lint([good()]) == []


@pytest.mark.parametrize("rule, mutate, where, message", CASES,
                         ids=[f"{c[0]}:{c[3][:30]}" for c in CASES])
def test_each_rule_catches_its_fixture(rule, mutate, where, message):
    model = good()
    mutate(model)
    findings = lint([model])
    assert findings, f"{rule} caught nothing"
    assert {f.message.split(":")[0] for f in findings} == {rule}, [str(f) for f in findings]
    assert any(f.where == where and message in f.message for f in findings), [str(f) for f in findings]
    assert all(f.check == "dashboard-lint" for f in findings)


def test_every_rule_has_a_failing_fixture():
    assert {c[0] for c in CASES} == set(RULES)


def test_duplicate_uid_across_dashboards_names_both():
    other = good()
    other["title"] = "Other"
    findings = lint([good(), other])
    assert [str(f) for f in findings] == ["dashboard fixture: uid-rule: uid 'fixture' is also used by dashboard 'Fixture'"]


def test_panels_in_a_collapsed_row_do_not_overlap_the_visible_ones():
    model = good()
    hidden = panel(model, "Queue depth")
    model["panels"].remove(hidden)
    row = model["panels"][0]
    row["collapsed"] = True
    hidden["gridPos"].update(x=0, y=1)     # same place as "Videos completed", but folded away
    row["panels"] = [hidden]
    assert lint([model]) == []


# -- exceptions -------------------------------------------------------------------
def test_an_exception_excuses_exactly_its_panel_and_rule():
    model = good()
    _expr("Queue depth", 'sum(vv_files_in_corrupted{site=~"$site"})')(model)
    findings = lint([model])
    assert {f.message.split(":")[0] for f in findings} == {"target-job-rule", "target-instance-rule"}
    excused = lint([model], [LintException("target-job-rule", "fixture", "Queue depth", "pushed")])
    assert [f.message.split(":")[0] for f in excused] == ["target-instance-rule"]
    whole = lint([model], [LintException("target-job-rule", "fixture", None, "why"),
                           LintException("target-instance-rule", "fixture", None, "why")])
    assert whole == []


def test_an_exception_that_matches_nothing_is_reported():
    findings = lint([good()], [LintException("panel-units-rule", "fixture", "Queue depth", "old")])
    assert [str(f) for f in findings] == [
        'dashboard fixture / panel "Queue depth": panel-units-rule: exception matches no finding; '
        "remove it from lint-exceptions.yaml"]


@pytest.mark.parametrize("text, error", [
    ("exceptions:\n  - rule: panel-units-rule\n    dashboard: vv-overview\n",
     "exceptions[0].reason: missing required key"),
    ("exceptions:\n  - rule: no-such-rule\n    dashboard: vv-overview\n    reason: x\n",
     "exceptions[0].rule: unknown rule 'no-such-rule'"),
    ("exceptions:\n  - rule: panel-units-rule\n    dashboard: vv-overview\n    reason: x\n    pannel: y\n",
     "exceptions[0].pannel: unknown key"),
    ("exceptions: {rule: x}\n", "exceptions: expected a list"),
    ("exceptions: [\n", "not valid YAML"),
])
def test_a_bad_exceptions_file_is_one_line_naming_file_and_key(tmp_path, text, error):
    path = tmp_path / "lint-exceptions.yaml"
    path.write_text(text)
    with pytest.raises(VVError) as info:
        load_exceptions(path)
    message = str(info.value)
    assert message.startswith(f"{path}: ") and error in message and "\n" not in message


@pytest.mark.parametrize("expr, summarizer_job", [
    pytest.param(f"sum(rate(nginx_http_requests_total{{{SEL}}}[${{__rate_interval}}])) / "
                 f"sum(increase(nginx_http_requests_total{{{SEL}}}[$__rate_interval]))", False,
                 id="rate interval in every spelling"),
    pytest.param(f'sum by (instance) (avg_over_time({CPU_COPY}{{{SEL}, job="summarize_scene"}}[$__interval]))',
                 True, id="a panel selecting its own job passes the job scope rule"),
    # vv_summarize_scene_* only ever comes from the summarizer's job: the variable alone is enough.
    pytest.param(f"sum(rate(vv_summarize_scene_processed_total{{{SEL}}}[$__rate_interval]))", True,
                 id="a component metric needs no job matcher of its own"),
    pytest.param('histogram_quantile(0.95, sum by (le) (stage:vv_pipeline_duration_seconds_bucket:rate5m'
                 '{site=~"$site", job=~"$job", stage="scan"})) / '
                 'sum(status:vv_videos_processed:rate5m{site=~"$site", job=~"$job"})', False,
                 id="quantile and ratio from records pass the cost rule"),
])
def test_these_expressions_pass(expr, summarizer_job):
    model = good()
    if summarizer_job:
        _summarizer_cpu(model)
    panel(model, "Videos completed")["targets"][0]["expr"] = expr
    assert lint([model]) == []


def test_an_instant_one_number_panel_passes():
    model = good()
    _one_number(model)
    panel(model, "Queue depth")["targets"][0].update(instant=True, range=False)
    assert lint([model]) == []
