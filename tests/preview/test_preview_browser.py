"""The preview in a real browser (Debian's chromium, driven by Playwright) on a running local
stack (test profile): every dashboard drawn, variables re-querying, stat values equal to
Prometheus' own answer, alert links opening their dashboard, firing alerts as annotations."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import time
import urllib.parse

import pytest
import requests

from shared.dashboards import uid as dashboard_uid
from vvdash import definitions
from vvdash.preview import grafana_time
from vvdash.preview.browser import VIEWPORT, browser_context, open_dashboard, wait_round
from vvdash.stack.runner import Stack, targets

RANGE = "?from=now-5m&to=now"
STATES = {"data", "nodata"}

pytestmark = pytest.mark.skipif(shutil.which("chromium") is None, reason="Debian's chromium is installed by `make setup`")


def _wait(cond, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if cond():
                return
        except (requests.RequestException, KeyError, IndexError, ValueError):
            pass
        time.sleep(1)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def instant(prom: str, expr: str) -> list[dict]:
    r = requests.get(f"{prom}/api/v1/query", params={"query": expr}, timeout=10)
    r.raise_for_status()
    return r.json()["data"]["result"]


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    s = Stack(tmp_path_factory.mktemp("stack").resolve())
    try:
        s.up(profile="test", progress=lambda line: print(line, flush=True))
        prom = s.url("prometheus")
        _wait(lambda: all(t["health"] == "up" for t in targets(prom)) and len(targets(prom)) > 10, 60, "every target up")
        _wait(lambda: float(instant(prom, "sum(vv_logline_generated_total)")[0]["value"][1]) > 0, 120, "a logline")
        _wait(lambda: instant(prom, "sum(vv_summarize_scene_model_loaded_info)"), 30, "the model info")
        yield s
    finally:
        s.stop(progress=lambda *_: None)


@pytest.fixture(scope="module")
def context():
    with browser_context() as ctx:
        yield ctx


@pytest.fixture()
def page(context):
    p = context.new_page()
    p.console_errors = []
    p.on("console", lambda m: p.console_errors.append(m.text) if m.type == "error" else None)
    p.on("pageerror", lambda e: p.console_errors.append(str(e)))
    yield p
    p.close()


def preview(stack) -> str:
    return stack.url("grafana")       # the stack runs the preview where Grafana would be


def models(stack) -> dict[str, dict]:
    folder = stack.workdir / "generated" / "dashboards"
    return {m["uid"]: m for m in (json.loads(p.read_text()) for p in sorted(folder.glob("*.json")))}


def discovered(stack) -> set[str]:
    """The uids of the dashboards the build discovers for the stack's inventory."""
    return {dashboard_uid(d.module) for d in definitions.load_dashboards(stack.inv)}


def drawn_panels(model: dict) -> list[dict]:
    out = []
    for p in model["panels"]:
        if p["type"] == "row":
            continue
        out.append(p)
    return out


def stat_text(page, title: str):
    el = page.locator(f'.panel[data-title="{title}"] .stat-value').first
    return el.inner_text(), float(el.get_attribute("data-value"))


def test_all_dashboards_drawn_with_data_or_explicit_no_data(stack, page):
    dashboards = models(stack)
    assert len(dashboards) > 1 and set(dashboards) == discovered(stack)
    totals = {"data": 0, "nodata": 0}
    timed = 0                   # dashboards with a time chart drawn
    for uid, model in dashboards.items():
        report = open_dashboard(page, f"{preview(stack)}/d/{uid}{RANGE}")
        expected = drawn_panels(model)
        assert len(report["panels"]) == len(expected), uid
        bad = {pid: p for pid, p in report["panels"].items() if p["state"] not in STATES}
        assert not bad, f"{uid}: {bad}"
        assert page.console_errors == [], f"{uid}: {page.console_errors}"
        # Panels stepping at the records' 5 minutes have at most one point in a stack this young
        # (their descriptions say so); the live-data share is counted over the others.
        stepped = {str(p["id"]) for p in expected if p.get("interval")}
        for state in STATES:
            totals[state] += sum(1 for pid, p in report["panels"].items() if p["state"] == state and str(pid) not in stepped)
        # "No data" is written out, never a blank panel.
        for box in page.locator('.panel[data-state="nodata"]').all():
            assert box.locator(".no-data").inner_text().strip()
        # Charts are drawn: every panel with data has a canvas or its HTML (stat tiles, table rows).
        for box in page.locator('.panel[data-state="data"]').all():
            assert box.locator("canvas, .stat-value, table tr").count() > 0, box.get_attribute("data-title")
        # gridPos on 24 columns: each panel's left edge and width follow x and w.
        grid = page.locator("#grid").bounding_box()
        col = (grid["width"] - 32) / 24
        for p in expected:
            box = page.locator(f'.panel[data-panel-id="{p["id"]}"]').bounding_box()
            assert abs(box["x"] - (grid["x"] + 16 + p["gridPos"]["x"] * col)) < col / 2 + 8, (uid, p["title"])
            assert abs(box["width"] - p["gridPos"]["w"] * col) < col, (uid, p["title"])
        # Every time axis spans exactly the picked range (5 minutes), whatever the series draw.
        spans = page.evaluate("""() => [...document.querySelectorAll('.panel[data-state="data"] .chart:not(.stat-spark)')].map((c) => {
            const x = echarts.getInstanceByDom(c).getModel().getComponent('xAxis', 0);
            return x && x.get('type') === 'time' ? x.axis.scale.getExtent() : null; }).filter(Boolean)""")
        # (A panel whose min interval is the records' 5 minutes may have no point yet in a young stack.)
        assert all(abs((b - a) - 300_000) < 1000 for a, b in spans), (uid, spans)
        timed += bool(spans)
        assert page.locator(".dash-title").inner_text() == model["title"]
        assert [r.inner_text() for r in page.locator(".row .row-title").all()] == \
            [p["title"] for p in model["panels"] if p["type"] == "row"]
    assert totals["data"] >= 2 * totals["nodata"], totals     # live data on most panels
    assert timed >= len(dashboards) - 2, timed


def test_screenshots_command_writes_a_png_and_a_line_per_dashboard(stack, tmp_path):
    out = tmp_path / "shots"
    done = subprocess.run([sys.executable, "-m", "vvdash", "preview", "--workdir", str(stack.workdir),
                           "--dashboards", str(stack.workdir / "generated" / "dashboards"), "--screenshots", str(out),
                           "--from", "now-5m"], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    lines = [ln for ln in done.stdout.splitlines() if re.match(r"^vv-[a-z-]+: ", ln)]
    assert sorted(ln.split(":")[0] for ln in lines) == sorted(discovered(stack)), done.stdout
    heights = []
    for ln in lines:
        m = re.fullmatch(r"(vv-[a-z-]+): (\d+) panels, (\d+) with data, (\d+) no data, (\d+) errors", ln)
        assert m, ln
        uid, n, d, k, e = m.group(1), *map(int, m.groups()[1:])
        assert n == d + k and e == 0 and n == len(drawn_panels(models(stack)[uid]))
        png = (out / f"{uid}.png").read_bytes()
        assert png[:8] == b"\x89PNG\r\n\x1a\n"
        assert int.from_bytes(png[16:20], "big") == VIEWPORT["width"]
        heights.append(int.from_bytes(png[20:24], "big"))
    # The whole page, not the window: at least the window, taller where the dashboard is.
    assert min(heights) >= VIEWPORT["height"] and max(heights) > VIEWPORT["height"], heights


def test_instance_variable_requeries_and_changes_the_panel(stack, page):
    report = open_dashboard(page, f"{preview(stack)}/d/vv-host{RANGE}")
    table = page.locator('.panel[data-title="Process uptime"] table')
    header = [c.inner_text() for c in table.locator("tr").first.locator("th").all()]
    col = header.index("instance")
    before = [r.locator("td").nth(col).inner_text() for r in table.locator("tr").all()[1:]]
    assert len(set(before)) > 3, before
    chosen = sorted(set(before))[0]
    bodies = []
    page.on("request", lambda r: bodies.append(r.post_data_json) if r.url.endswith("/api/preview/query") else None)
    page.click("#var-instance summary")
    page.locator(f'#var-instance input[value="{chosen}"]').check()
    after_report = wait_round(page, report["round"])
    after = [r.locator("td").nth(col).inner_text() for r in table.locator("tr").all()[1:]]
    assert set(after) == {chosen} and len(after) < len(before)
    panels_with_queries = sum(1 for p in drawn_panels(models(stack)["vv-host"]) if p.get("targets"))
    requeried = [b for b in bodies if "queries" in b and b["vars"]["instance"]["values"] == [chosen]]
    assert len(requeried) >= panels_with_queries
    assert urllib.parse.parse_qs(urllib.parse.urlsplit(page.url).query)["var-instance"] == [chosen]
    assert all(p["state"] in STATES for p in after_report["panels"].values())


@pytest.mark.parametrize("uid,title", [("vv-overview", "DVRs connected"), ("vv-summarizer", "Models loaded"),
                                       ("vv-tv-dvr", "DVR probe HTTP status")])
def test_stat_value_equals_prometheus_instant_query(stack, page, uid, title):
    panel = next(p for p in models(stack)[uid]["panels"] if p.get("title") == title)
    assert panel["type"] == "stat"
    open_dashboard(page, f"{preview(stack)}/d/{uid}{RANGE}")
    text, shown = stat_text(page, title)
    # Every variable at All: any value of the label.
    expr = re.sub(r'=~"\$\{?[a-z]+\}?"', '=~".+"', panel["targets"][0]["expr"])
    result = instant(stack.url("prometheus"), expr)
    assert len(result) == 1, result
    expected = float(result[0]["value"][1])
    assert shown == expected and text == str(int(expected)), (title, text, expected)


def test_units_thresholds_and_mappings_as_grafana_shows_them(stack, page):
    open_dashboard(page, f"{preview(stack)}/d/vv-overview{RANGE}")
    # Grafana's automatic decimals keep two significant digits and pad with zeros ("1.50 KiB").
    cases = [(0.05, "percentunit", "5%"), (1536, "bytes", "1.50 KiB"), (90, "s", "1.50 min"), (0.0005, "s", "500 µs"),
             (7200, "s", "2 hour"), (0.2, "ops", "0.200 ops/s"), (1500, "short", "1.50 K"), (12345678, "Bps", "12.3 MB/s"),
             (3, "cpm", "3 c/m"), (42, "none", "42"), (2.5, "cps", "2.50 c/s"), (0.284, "percentunit", "28.4%"), (0, "s", "0 s")]
    got = page.evaluate("(cases) => cases.map(([v, u]) => VV.formatValue(v, u))", [[v, u] for v, u, _ in cases])
    assert got == [want for _, _, want in cases]
    ticks = page.evaluate("() => [0, 0.05, 0.1, 0.15, 0.25].map((v) => VV.formatTick(v, 'ops'))")
    assert ticks == ["0 ops/s", "0.05 ops/s", "0.1 ops/s", "0.15 ops/s", "0.25 ops/s"]
    steps = {"steps": [{"color": "green", "value": None}, {"color": "orange", "value": 25}, {"color": "red", "value": 50}]}
    colours = page.evaluate("(t) => [0, 25, 49.9, 50, 1e9].map((v) => VV.thresholdColor(v, t))", steps)
    green, orange, red = page.evaluate("['green', 'orange', 'red'].map(VV.color)")
    assert colours == [green, orange, orange, red, red]
    mapping = [{"type": "value", "options": {"0": {"text": "Down", "color": "red"}, "1": {"text": "Up", "color": "green"}}},
               {"type": "range", "options": {"from": 2, "to": 9, "result": {"text": "Many"}}}]
    assert page.evaluate("(m) => [0, 1, 5, 10].map((v) => (VV.mapValue(v, m) || {}).text || null)", mapping) == \
        ["Down", "Up", "Many", None]


def _panel(pid, ptype, expr, x, **extra):
    panel = {"id": pid, "type": ptype, "title": f"P{pid}", "gridPos": {"x": x, "y": 0, "w": 6, "h": 8},
             "datasource": {"type": "prometheus", "uid": "${datasource}"},
             "targets": [{"refId": "A", "expr": expr, "instant": extra.pop("instant", False),
                          "format": extra.pop("format", "time_series"), "legendFormat": extra.pop("legend", "")}],
             "fieldConfig": {"defaults": extra.pop("defaults", {}), "overrides": extra.pop("overrides", [])},
             "options": extra.pop("options", {})}
    panel.update(extra)
    return panel


def test_options_drawn_from_known_values(stack, page, tmp_path):
    """Fixed values (vector(...)) through Prometheus: what each option makes of them."""
    steps = {"mode": "absolute", "steps": [{"color": "green", "value": None}, {"color": "orange", "value": 0.2},
                                           {"color": "red", "value": 0.5}]}
    two = 'label_replace(vector(2), "k", "a", "", "") or label_replace(vector(4), "k", "b", "", "")'
    greek = 'label_replace(vector(1), "k", "beta", "", "") or label_replace(vector(2), "k", "alpha", "", "")'
    model = {"uid": "vv-options", "title": "Options", "time": {"from": "now-5m", "to": "now"},
             "templating": {"list": [{"name": "letter", "type": "query", "query": f"query_result({greek})",
                                      "regex": '/k="([^"]+)"/', "sort": 1, "multi": False, "includeAll": False}]},
             "panels": [
        _panel(1, "stat", "vector(0.25)", 0, defaults={"unit": "percentunit", "thresholds": steps},
               options={"colorMode": "background", "graphMode": "none", "reduceOptions": {"calcs": ["lastNotNull"]}}),
        _panel(2, "stat", "vector(1)", 6, defaults={"mappings": [
            {"type": "value", "options": {"1": {"text": "Up", "color": "green"}}}]}, options={"graphMode": "none"}),
        _panel(3, "gauge", "vector(30)", 12, defaults={"unit": "percent", "min": 0, "max": 100}),
        _panel(4, "timeseries", two, 18, legend="{{k}}", defaults={"unit": "short"},
               overrides=[{"matcher": {"id": "byName", "options": "b"},
                           "properties": [{"id": "displayName", "value": "Bee"},
                                          {"id": "color", "value": {"mode": "fixed", "fixedColor": "red"}}]}],
               options={"legend": {"displayMode": "table", "placement": "bottom", "calcs": ["mean", "max"], "showLegend": True}}),
        _panel(5, "table", 'label_replace(vector(5), "k", "x", "", "")', 0, instant=True, format="table",
               gridPos={"x": 0, "y": 8, "w": 12, "h": 6},
               transformations=[{"id": "organize", "options": {"excludeByName": {"Time": True},
                                                               "renameByName": {"Value": "Count"}}}]),
    ]}
    folder = tmp_path / "dash"
    folder.mkdir()
    (folder / "vv-options.json").write_text(json.dumps(model))
    from vvdash.preview.server import PreviewServer
    with PreviewServer(folder, stack.url("prometheus")) as server:
        report = open_dashboard(page, f"{server.url}/d/vv-options")
        assert {p["state"] for p in report["panels"].values()} == {"data"}, report["panels"]
        assert page.console_errors == []
        tile = page.locator('.panel[data-panel-id="1"] .stat-tile')
        orange = page.evaluate("VV.color('orange')")
        assert tile.locator(".stat-value").inner_text() == "25%"
        assert page.evaluate("(c) => { const d = document.createElement('div'); d.style.background = c; return d.style.background; }", orange) \
            == tile.evaluate("(e) => e.style.background")
        assert page.locator('.panel[data-panel-id="2"] .stat-value').inner_text() == "Up"
        gauge = page.evaluate("""() => { const o = echarts.getInstanceByDom(document.querySelector('.panel[data-panel-id="3"] .chart')).getOption();
                                 return [o.series[0].data[0].value, o.series[0].min, o.series[0].max]; }""")
        assert gauge == [30, 0, 100]
        legend = [[c.inner_text() for c in r.locator("td").all()]
                  for r in page.locator('.panel[data-panel-id="4"] .legend-table tr').all()[1:]]
        assert legend == [["a", "2", "2"], ["Bee", "4", "4"]]
        colours = page.evaluate("""() => echarts.getInstanceByDom(document.querySelector('.panel[data-panel-id="4"] .chart'))
                                   .getOption().series.filter((s) => s.data.length).map((s) => [s.name, s.color])""")
        assert colours[1] == ["Bee", page.evaluate("VV.color('red')")]
        # query_result() lines through the variable's regex: the capture group, sorted.
        assert [i.get_attribute("value") for i in page.locator("#var-letter input").all()] == ["alpha", "beta"]
        table = page.locator('.panel[data-panel-id="5"] table tr')
        assert [c.inner_text() for c in table.first.locator("th").all()] == ["k", "Count"]
        assert [c.inner_text() for c in table.nth(1).locator("td").all()] == ["x", "5"]


def test_time_picker_and_auto_refresh_requery(stack, page):
    report = open_dashboard(page, f"{preview(stack)}/d/vv-overview")
    bodies = []
    page.on("request", lambda r: bodies.append(r.post_data_json) if r.url.endswith("/api/preview/query") else None)
    answers = []
    page.on("response", lambda r: answers.append((r.request.post_data_json, r.json())) if r.url.endswith("/api/preview/query") else None)
    page.select_option("#time-picker", "15m")
    report = wait_round(page, report["round"])
    spans = {b["to"] - b["from"] for b in bodies}
    assert spans == {15 * 60_000} and "from=now-15m" in page.url
    # Each panel's step and $__rate_interval from its width and the scrape interval Prometheus
    # reports (test profile: 1s), as Grafana computes them.
    scrape = grafana_time.parse_duration_ms(stack.inventory["prometheus"]["scrape_interval"])
    checked = 0
    for body, answer in answers:
        for q in body["queries"]:
            if q.get("instant"):
                continue
            # A panel's min interval (the 5-minute records') stands in for the scrape, as in Grafana.
            least = grafana_time.parse_duration_ms(q["interval"]) if q.get("interval") else None
            iv = grafana_time.compute(body["from"], body["to"], body["maxDataPoints"], scrape, least)
            res = answer["results"][q["refId"]]
            assert (res["step_ms"], res["rate_interval"]) == (iv.step_ms, grafana_time.go_duration(iv.rate_ms))
            assert "$__" not in res["expr"]
            checked += 1
    assert checked >= 3     # the overview's range queries (its one-number panels are instant)
    page.select_option("#auto-refresh", "5s")
    started = time.monotonic()
    wait_round(page, report["round"], timeout_ms=30_000)        # a new round without any click
    assert time.monotonic() - started >= 3 and "refresh=5s" in page.url


def test_unknown_panel_type_and_option_are_named_and_rows_collapse(stack, page, tmp_path):
    model = models(stack)["vv-overview"]
    bottom = max(p["gridPos"]["y"] + p["gridPos"]["h"] for p in model["panels"])
    stat = next(p for p in model["panels"] if p["type"] == "stat")
    stat["options"]["sparkleMode"] = "on"
    child = json.loads(json.dumps(stat))
    child.update(id=900, title="Inside a collapsed row", gridPos={"x": 0, "y": bottom + 2, "w": 6, "h": 4})
    model["panels"] += [
        {"id": 800, "type": "piechart", "title": "A pie", "gridPos": {"x": 0, "y": bottom, "w": 8, "h": 6}, "targets": []},
        {"id": 801, "type": "row", "title": "Closed", "collapsed": True, "gridPos": {"x": 0, "y": bottom + 6, "w": 24, "h": 1},
         "panels": [child]},
    ]
    folder = tmp_path / "dash"
    folder.mkdir()
    (folder / "vv-overview.json").write_text(json.dumps(model))
    out = tmp_path / "shots"
    done = subprocess.run([sys.executable, "-m", "vvdash", "preview", "--prometheus", stack.url("prometheus"),
                           "--dashboards", str(folder), "--screenshots", str(out), "--from", "now-5m"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 1, done.stdout + done.stderr
    assert re.search(r"^vv-overview: \d+ panels, \d+ with data, \d+ no data, 1 errors$", done.stdout, re.M), done.stdout
    assert "'A pie' (piechart): unsupported panel type piechart" in done.stdout
    assert (out / "vv-overview.png").stat().st_size > 10_000

    from vvdash.preview.server import PreviewServer
    with PreviewServer(folder, stack.url("prometheus")) as server:
        open_dashboard(page, f"{server.url}/d/vv-overview{RANGE}")
        pie = page.locator('.panel[data-panel-id="800"]')
        assert pie.get_attribute("data-state") == "error"
        assert "Panel type 'piechart' is not supported" in pie.inner_text()
        notes = page.locator(f'.panel[data-panel-id="{stat["id"]}"] .panel-notes').inner_text()
        assert "options.sparkleMode" in notes
        row = page.locator('.row[data-panel-id="801"]')
        assert "(1 panels)" in row.inner_text() and page.locator('.panel[data-panel-id="900"]').count() == 0
        round_ = page.evaluate("window.__preview.round")
        row.click()
        wait_round(page, round_)
        assert page.locator('.panel[data-panel-id="900"]').get_attribute("data-state") in STATES


def test_dashboard_links_and_panel_links_keep_time_and_variables(stack, page):
    open_dashboard(page, f"{preview(stack)}/d/vv-overview{RANGE}")
    page.click(".dash-links summary")
    hrefs = [a.get_attribute("href") for a in page.locator(".dash-links-list a").all()]
    others = sorted(d["title"] for uid, d in models(stack).items() if uid != "vv-overview")
    assert sorted(page.locator(".dash-links-list a").all_inner_texts()) == others
    assert all("from=now-5m" in h and "var-instance=$__all" in h for h in hrefs), hrefs
    panel = next(p for p in models(stack)["vv-overview"]["panels"] if p.get("links"))
    link = page.locator(f'.panel[data-panel-id="{panel["id"]}"] a.panel-link').first
    href = link.get_attribute("href")
    target = re.match(r"/d/([a-z-]+)", panel["links"][0]["url"]).group(1)
    assert href.startswith(f"/d/{target}?from=now-5m&to=now&var-site=$__all"), href
    link.click()
    page.wait_for_selector(".dash-title")
    assert page.locator(".dash-title").inner_text() == models(stack)[target]["title"]
    assert urllib.parse.parse_qs(urllib.parse.urlsplit(page.url).query)["from"] == ["now-5m"]


def test_prometheus_errors_come_back_per_query(stack):
    now = int(time.time() * 1000)
    r = requests.post(f"{preview(stack)}/api/preview/query", json={
        "from": now - 300_000, "to": now, "maxDataPoints": 300, "vars": {},
        "queries": [{"refId": "A", "expr": "sum(rate(up[$__rate_interval])"}, {"refId": "B", "expr": "vector(7)", "instant": True}]},
        timeout=10).json()["results"]
    assert r["A"]["error"].startswith("bad_data:") and "parse error" in r["A"]["error"]
    assert r["B"]["data"]["result"][0]["value"][1] == "7"


def test_other_variable_queries_grafana_knows(stack):
    now = int(time.time() * 1000)

    def values(query, **vars_):
        r = requests.post(f"{preview(stack)}/api/preview/variable", json={
            "query": query, "from": now - 300_000, "to": now, "vars": vars_}, timeout=10).json()
        assert "error" not in r, r
        return r["values"]
    jobs = {t["labels"]["job"] for t in targets(stack.url("prometheus"))}
    assert jobs <= set(values("label_values(job)"))        # and the pushed jobs' names
    two = {"values": ["prometheus", "node"], "regex": True}
    assert set(values('label_values(up{job=~"$j"}, job)', j=two)) == {"prometheus", "node"}
    assert {"job", "instance", "site"} <= set(values("label_names()"))
    names = values("metrics(^vv_videos_)")
    assert "vv_videos_processed_total" in names and all(v.startswith("vv_videos_") for v in names)
    lines = values('query_result(up{job="prometheus"})')
    assert len(lines) == 1 and re.fullmatch(r'up\{.*job="prometheus".*\} 1 \d{13}', lines[0]), lines


def test_alert_dashboard_urls_open_their_dashboard(stack, page):
    rules = requests.get(f"{stack.url('prometheus')}/api/v1/rules", timeout=10).json()["data"]["groups"]
    urls = sorted({r["annotations"]["dashboard_url"] for g in rules for r in g["rules"] if r["type"] == "alerting"})
    assert len(urls) >= 5 and all(u.startswith(preview(stack) + "/d/") for u in urls)
    dashboards = models(stack)
    for url in urls:
        uid = url.rsplit("/d/", 1)[1].split("/")[0]
        page.goto(url)
        page.wait_for_selector(".dash-title")
        assert page.locator(".dash-title").inner_text() == dashboards[uid]["title"]
        assert re.search(rf"/d/{uid}/[a-z0-9-]+\?", page.url), page.url


def test_firing_alert_is_an_annotation_and_counted(stack, page):
    """Last: stops the DVR simulator so VVDvrDisconnected fires (test profile: for 5s)."""
    prom = stack.url("prometheus")
    stack.procs["dvr_simulator"].stop()
    # The annotation query runs at its 60s step over a range aligned down to the step, as in
    # Grafana: wait until a step-aligned range query sees the alert, then look.
    def seen_at_step():
        end = time.time() // 60 * 60
        r = requests.get(f"{prom}/api/v1/query_range", params={
            "query": 'ALERTS{alertname="VVDvrDisconnected", alertstate="firing"}', "start": end - 300, "end": end,
            "step": 60}, timeout=10)
        return r.json()["data"]["result"]
    _wait(seen_at_step, 150, "VVDvrDisconnected firing at a 60s step")
    report = open_dashboard(page, f"{preview(stack)}/d/vv-tv-dvr{RANGE}")
    assert all(p["state"] in STATES for p in report["panels"].values())
    page.wait_for_function("document.getElementById('firing').textContent.includes('VVDvrDisconnected')", timeout=20_000)
    areas = page.evaluate("""() => [...document.querySelectorAll('.panel[data-type="timeseries"] .chart')].map(
        (c) => echarts.getInstanceByDom(c).getOption().series.flatMap((s) => ((s.markArea || {}).data || []).map((d) => d[0].name)))""")
    assert areas and all("VVDvrDisconnected" in names for names in areas), areas
    open_dashboard(page, f"{preview(stack)}/d/vv-overview{RANGE}")
    text, shown = stat_text(page, "Firing alerts")
    assert shown == float(instant(prom, 'count(ALERTS{alertstate="firing"}) or vector(0)')[0]["value"][1]) >= 1
