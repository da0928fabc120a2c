"""Panel targets expanded as Grafana sends them: interval, $__rate_interval, variables, instant queries."""

from __future__ import annotations

import json

import pytest

from tests.helpers import PROJECT_ROOT
from vvdash.cost import grafana

DASHBOARDS = sorted((PROJECT_ROOT / "generated" / "dashboards").glob("*.json"))


@pytest.mark.parametrize("range_s, points, interval", [
    (7 * 86400, 533, 1200),     # a third of 1,600 px over a week: 1,134 s rounds to 20 m
    (7 * 86400, 800, 900),      # half the screen: 756 s -> 15 m
    (86400, 533, 120),          # 162 s -> 2 m
    (86400, 800, 120),          # 108 s -> 2 m
    (3600, 533, 15),            # under the scrape interval: the scrape interval itself
    (30 * 86400, 1600, 1800),   # 1,620 s -> 30 m
])
def test_interval_is_grafanas(range_s, points, interval):
    assert grafana.interval_seconds(range_s, points, 15) == interval


def test_rate_interval_is_interval_plus_scrape_or_four_scrapes():
    assert grafana.rate_interval_seconds(15, 15) == 60
    assert grafana.rate_interval_seconds(1200, 15) == 1215


def test_safe_resolution_caps_points_per_series():
    # 11,000 points at most: a year at a 15 s min step would be 2.1 million.
    assert grafana.interval_seconds(365 * 86400, 100000, 15) >= 365 * 86400 / 11000


def test_substitution_sends_all_values_and_durations():
    model = {"uid": "u", "templating": {"list": [
        {"name": "site", "type": "query", "allValue": ".+"}, {"name": "job", "type": "query", "allValue": ".+"}]},
        "panels": [{"type": "timeseries", "title": "t", "gridPos": {"w": 8},
                    "targets": [{"refId": "A", "expr": 'sum(rate(x{site=~"$site", job=~"${job}"}[$__rate_interval]))'},
                                {"refId": "B", "expr": "avg_over_time(y[$__range:$__interval])", "instant": True}]}]}
    a, b = grafana.expand(model, end=1_000_000, range_s=7 * 86400, scrape_s=15)
    assert a.expr == 'sum(rate(x{site=~".+", job=~".+"}[1215s]))' and not a.instant and a.step == 1200
    assert a.start % 1200 == 0 and a.end % 1200 == 0 and a.end <= 1_000_000
    assert b.instant and b.expr == "avg_over_time(y[604800s:1200s])" and b.end == 1_000_000
    assert b.params() == {"query": b.expr, "time": "1000000.000"}


def test_listed_values_are_sent_as_grafanas_prometheus_regex():
    model = {"uid": "u", "templating": {"list": [
        {"name": "site", "type": "query", "allValue": ".+"}, {"name": "job", "type": "query", "allValue": ".+"}]},
        "panels": [{"type": "timeseries", "title": "t", "gridPos": {"w": 8},
                    "targets": [{"refId": "A", "expr": 'x{site=~"$site", job=~"$job"}'}]}]}
    [a] = grafana.expand(model, end=1_000_000, range_s=3600, scrape_s=15,
                         variables={"site": grafana.multi_value(["site-01", "a.b"])})
    assert a.expr == 'x{site=~"(site-01|a\\.b)", job=~".+"}'


def test_panel_min_interval_raises_the_step():
    model = {"uid": "u", "templating": {"list": []}, "panels": [
        {"type": "timeseries", "title": "t", "interval": "5m", "gridPos": {"w": 8},
         "targets": [{"refId": "A", "expr": "rate(x[$__rate_interval])"}]}]}
    [q] = grafana.expand(model, end=86400 * 100, range_s=86400, scrape_s=15)
    assert q.step == 300 and q.expr == "rate(x[315s])"


@pytest.mark.parametrize("path", DASHBOARDS, ids=[p.stem for p in DASHBOARDS])
def test_every_dashboard_expands_completely(path):
    model = json.loads(path.read_text())
    queries = grafana.expand(model, end=2_000_000_000, range_s=7 * 86400, scrape_s=15)
    assert queries
    for q in queries:
        assert "$" not in q.expr, (q.panel, q.expr)
        assert q.step >= 15
        if q.panel_type in grafana.ONE_NUMBER_PANELS:
            assert q.instant, (q.dashboard, q.panel)
