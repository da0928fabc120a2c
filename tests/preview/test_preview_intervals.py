"""Grafana's interval arithmetic and variable formatting, as the preview applies them."""

import pytest

from vvdash.preview import grafana_time as gt
from vvdash.preview.dashboards import slugify
from vvdash.preview.variables import format_value, substitute

H = 3_600_000


@pytest.mark.parametrize("span_ms,width,scrape_ms,step,rate", [
    (6 * H, 1000, 15_000, 20_000, 60_000),          # 21.6 s rounds to 20 s; rate = max(35 s, 4 x 15 s)
    (H // 4, 500, 15_000, 15_000, 60_000),           # 1.8 s is below the min interval: 15 s
    (7 * 24 * H, 1500, 15_000, 300_000, 315_000),    # 403 s rounds to 5 m; rate = 5 m + 15 s
    (H, 1000, 5_000, 5_000, 20_000),                 # 3.6 s -> 5 s (the scrape interval)
    (24 * H, 300, 5_000, 300_000, 305_000),          # 288 s rounds to 5 m
    (H, 200, 1_000, 20_000, 21_000),                 # 18 s rounds to 20 s; rate = 20 s + 1 s
])
def test_interval_and_rate_interval_follow_grafana(span_ms, width, scrape_ms, step, rate):
    iv = gt.compute(10 * 24 * H, 10 * 24 * H + span_ms, width, scrape_ms)
    assert (iv.step_ms, iv.rate_ms) == (step, rate)


def test_a_query_min_step_replaces_the_scrape_interval():
    # Min step 1m on a 1h range 1000 px wide: interval 1m, rate = max(1m + 1m, 4 x 1m) = 4m.
    iv = gt.compute(0, H, 1000, 15_000, min_interval_ms=60_000)
    assert (iv.step_ms, iv.rate_ms) == (60_000, 240_000)


def test_safe_resolution_caps_points_per_series():
    # 30 days drawn 100000 points wide would be 26 s a point; Prometheus' 11000-point limit wins.
    iv = gt.compute(0, 30 * 24 * H, 100_000, 15_000)
    assert iv.step_ms == 300_000 and (30 * 24 * H) / iv.step_ms <= gt.SAFE_RESOLUTION


def test_start_and_end_are_aligned_down_to_the_step():
    iv = gt.compute(1_000_007_123, 1_000_007_123 + 6 * H, 1000, 15_000)
    assert iv.start_ms % iv.step_ms == 0 and iv.end_ms % iv.step_ms == 0
    assert 0 <= 1_000_007_123 - iv.start_ms < iv.step_ms


def test_macros_are_replaced_longest_name_first():
    iv = gt.compute(0, 6 * H, 1000, 15_000)
    expr = ("rate(x[$__rate_interval]) + y[${__interval}] + $__interval_ms + changes(z[$__range]) "
            "+ $__range_s + $__range_ms + $__rate_interval_ms")
    assert iv.interpolate(expr) == "rate(x[1m0s]) + y[20s] + 20000 + changes(z[21600s]) + 21600 + 21600000 + 60000"


@pytest.mark.parametrize("ms,text", [(500, "500ms"), (20_000, "20s"), (60_000, "1m0s"), (80_000, "1m20s"),
                                     (315_000, "5m15s"), (3_600_000, "1h0m0s"), (1_500, "1.5s")])
def test_rate_interval_prints_as_go_durations(ms, text):
    assert gt.go_duration(ms) == text


@pytest.mark.parametrize("ms,text", [(90_000, "1m"), (20_000, "20s"), (7_200_000, "2h"), (5, "5ms"), (86_400_000, "1d")])
def test_interval_text_is_the_largest_whole_unit(ms, text):
    assert gt.format_interval(ms) == text


def test_nice_rounding_table_edges():
    assert [gt.round_interval(x) for x in (10, 11, 1500, 1501, 25_000, 25_001, 90_000, 90_001)] == \
        [1, 10, 1000, 2000, 20_000, 30_000, 60_000, 120_000]


@pytest.mark.parametrize("text,ms", [("15s", 15_000), ("1m30s", 90_000), ("500ms", 500), ("2h", 7_200_000)])
def test_parse_duration(text, ms):
    assert gt.parse_duration_ms(text) == ms


@pytest.mark.parametrize("bad", ["", "15", "s", "1m x", "-5s"])
def test_parse_duration_rejects(bad):
    with pytest.raises(ValueError):
        gt.parse_duration_ms(bad)


def test_variables_single_multi_all_and_custom_all():
    single = {"values": ["127.0.0.1:9100"], "regex": False}
    multi = {"values": ["127.0.0.1:9100", "a|b"], "regex": True}
    expr = 'up{instance=~"$instance", job=~"${job}", x="[[x]]", y=~"$y", keep="$unknown", r="$__rate_interval"}'
    out = substitute(expr, {"instance": multi, "job": single, "x": {"values": ["it's"]},
                            "y": {"values": [".*"], "raw": True}})
    assert out == ('up{instance=~"(127\\\\.0\\\\.0\\\\.1:9100|a\\\\|b)", job=~"127.0.0.1:9100", x="it\\\\\'s", '
                   'y=~".*", keep="$unknown", r="$__rate_interval"}')
    assert format_value(["one.two"], True) == "one\\\\.two"      # one value of a multi variable: no brackets


def test_slug_as_grafana_makes_it():
    assert slugify("VV / TV scheduler and DVR") == "vv-tv-scheduler-and-dvr"
    assert slugify("Überblick: Süd (Nord)") == "uberblick-sud-nord"
