"""End to end, with the real binaries: the local stack (test profile: 1s scrape and evaluation,
short alert `for`s from the stack's rendered inventory) runs the DVR simulator, the pipeline
services, the exporters, Prometheus with the generated config and rules, and Alertmanager
delivering to the webhook receiver.

The tests run in file order. The first run is generation 3 (Prometheus 3.5, Alertmanager 0.33,
the fetched exporters), the stack's default; it ends with its DVR down. A second run of the other
generation (Debian stable's Prometheus 2.42 and Alertmanager 0.25) follows in the same working
folder and must start clean: none of the first run's targets or alerts. The DVR fault test and
the links run on both. VVDASH_E2E_GENERATION=2 swaps them: the whole first run on generation 2.
"""

from __future__ import annotations

import itertools
import json
import os
import re
import time
from pathlib import Path

import pytest
import requests

from shared import records as R
from vvdash import catalog as catalog_mod
from vvdash.catalog.model import series_of
from vvdash.inventory import duration_seconds
from vvdash.procs import wait_until
from vvdash.stack.runner import Stack, firing_alerts, leftovers, pid_alive, targets
from vvdash.stack.webhook import read_notifications

pytestmark = pytest.mark.timeout(600)

DVR_ALERT = "VVDvrDisconnected"      # rules/dvr.py
FIRST = int(os.environ.get("VVDASH_E2E_GENERATION", "3"))   # the first run's generation
SECOND = {3: 2, 2: 3}[FIRST]
RATE_INTERVAL = "1m"                 # $__rate_interval: wide enough for a minute-old stack


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    return tmp_path_factory.mktemp("stack").resolve()


def _all_up(s: Stack) -> None:
    prom = s.url("prometheus")
    _wait(lambda: all(t["health"] == "up" for t in targets(prom)) and len(targets(prom)) > 10,
          60, "every target up")


@pytest.fixture(scope="module")
def stack(workdir):
    s = Stack(workdir)
    try:
        if FIRST == 3:
            s.up(profile="test", progress=lambda line: print(line, flush=True))
            assert s.generation.number == 3        # the default
        else:
            s.up(profile="test", progress=lambda line: print(line, flush=True), generation_number=FIRST)
        _drop_corrupt_video(s)
        prom = s.url("prometheus")
        _all_up(s)
        # Data through the whole pipeline: a segment scanned, summarized and logged, and the bad file filed.
        _wait(lambda: _value(prom, "sum(vv_logline_generated_total)") > 0, 120, "a logline generated")
        _wait(lambda: _value(prom, "sum(vv_videos_corrupted_total)") > 0, 60, "the corrupt input filed")
        time.sleep(5)   # a few more evaluations, so recording rules over the new series have run
        yield s
    finally:
        s.stop(progress=lambda *_: None)


def _drop_corrupt_video(stack: Stack) -> None:
    """A truncated, unreadable clip in input/ (written as a dot-file, then renamed in)."""
    root = stack.inventory.storage_root()
    tmp = root / "input" / ".broken-clip.mp4"
    tmp.parent.mkdir(parents=True, exist_ok=True)
    tmp.write_bytes(b"\x00\x00\x00\x18ftypmp42" + b"not a video" * 100)
    tmp.rename(root / "input" / "broken-clip.mp4")


def _wait(predicate, timeout: float, what: str):
    return wait_until(predicate, timeout, what, every=0.5)


def _query(prom: str, expr: str) -> dict:
    r = requests.get(f"{prom}/api/v1/query", params={"query": expr}, timeout=10)
    body = r.json()
    if body.get("status") != "success":
        raise AssertionError(f"{expr}: {body.get('errorType')}: {body.get('error')}")
    return body["data"]


def _value(prom: str, expr: str) -> float:
    result = _query(prom, expr)["result"]
    return float(result[0]["value"][1]) if result else 0.0


# -- targets and metrics ---------------------------------------------------------------

def test_status_shows_every_target_up(stack):
    from stack_helpers import run_cli

    done = run_cli(["stack", "status", "--workdir", str(stack.workdir)])
    assert done.returncode == 0, done.stdout + done.stderr
    up, total = map(int, re.search(r"targets: (\d+)/(\d+) up", done.stdout).groups())
    assert up == total >= 14
    for job in ("agent_dvr", "orchestrator", "blackbox_dvr", "node", "pushgateway", "alertmanager"):
        assert re.search(rf"^\s+up\s+{job}\s", done.stdout, re.M), job
    # The tools it runs, and links that answer.
    assert re.search(rf"^tools: generation {FIRST} ", done.stdout, re.M), done.stdout
    links = re.findall(r"^  (Prometheus[a-z ]*|Alertmanager|Pushgateway) +(http\S+)$", done.stdout, re.M)
    assert len(links) == 5, done.stdout
    for label, url in links:
        r = requests.get(url.split("#")[0], timeout=10)
        assert r.status_code == 200 and "does not include a web application" not in " ".join(r.text.split()), \
            (label, url, r.status_code)


def _not_running(stack: Stack) -> dict[str, str]:
    """Catalog metrics this machine cannot produce, each with the reason."""
    from pipeline.summarize_scene import GPU_METRICS, gpu_probe

    cat = catalog_mod.load()
    skip = {m.name: f"{m.component} is not run by the local stack (disabled in its inventory)"
            for m in cat if m.component in ("cadvisor", "nginx_exporter")
            and not stack.inventory.service(m.component)["enabled"]}
    if gpu_probe() is None:
        skip.update({name: "no GPU (NVML) on this machine" for name in GPU_METRICS})
    skip["ALERTS"] = "present only while an alert is pending or firing (checked by the DVR alert test)"
    return skip


def test_every_catalog_metric_of_the_running_components_is_in_prometheus(stack):
    prom = stack.url("prometheus")
    present = set(requests.get(f"{prom}/api/v1/label/__name__/values", timeout=10).json()["data"])
    skip = _not_running(stack)
    missing = [f"{m.component}: {m.name}" for m in catalog_mod.load() if m.name not in skip
               and not any(s.name in present for s in series_of(m))]
    assert not missing, "missing from Prometheus:\n" + "\n".join(missing)
    # The probe series carry the DVR's name, every series its site.
    probe = _query(prom, "probe_success")["result"]
    assert [(r["metric"]["dvr"], r["metric"]["site"], r["value"][1]) for r in probe] == [("dvr1", "local", "1")]
    # Target labels land on every series of a target; `up` has one series per target.
    assert _value(prom, "count(up)") >= 14 and _query(prom, 'up{site=""}')["result"] == []


def test_every_recording_rule_produces_series(stack):
    prom = stack.url("prometheus")
    groups = requests.get(f"{prom}/api/v1/rules", params={"type": "record"}, timeout=10).json()["data"]["groups"]
    records = [r for g in groups for r in g["rules"]]
    assert len(records) >= 10
    unhealthy = [f"{r['name']}: {r.get('lastError')}" for r in records if r["health"] != "ok"]
    assert not unhealthy, "\n".join(unhealthy)
    # A record reading a metric this machine cannot produce has no series, and so has one reading
    # such a record (a fleet rollup of a container record).
    absent = set(_not_running(stack))
    while True:
        more = {r["name"] for r in records if r["name"] not in absent
                and any(re.search(rf"\b{re.escape(name)}\b", r["query"]) for name in absent)}
        if not more:
            break
        absent |= more
    empty = []
    for rule in records:
        if rule["name"] in absent:
            continue
        if _query(prom, f'count({{__name__="{rule["name"]}"}})')["result"]:
            continue
        # A record with a condition is empty while it does not hold; its inputs must still be there.
        otherwise = CONDITIONAL.get(rule["name"], lambda query: query)(rule["query"])
        if otherwise == rule["query"] or not _query(prom, otherwise)["result"]:
            empty.append(rule["name"])
    assert not empty, "recording rules without series:\n" + "\n".join(empty)


# Records with series only while a condition holds: what the query is when it does not (then it
# has series, so a broken selector still fails the test). Time until full exists only while the
# disk fills, and the disk of a shared test machine may as well be emptying.
CONDITIONAL = {R.STORAGE_SECONDS_UNTIL_FULL: lambda query: query.replace("> 0)", "<= 0)")}


# -- dashboards ---------------------------------------------------------------------------

def _panels(items):
    for panel in items:
        yield panel
        yield from _panels(panel.get("panels", []))


def _escape(value: str) -> str:
    """How Grafana writes a multi-value into a PromQL regex (special characters escaped)."""
    return re.sub(r"([\\^$*+?.()|{}\[\]])", r"\\\\\1", value)


def _interpolate(expr: str, values: dict[str, str]) -> str:
    expr = re.sub(r"\$\{?(__rate_interval|__interval)\}?", RATE_INTERVAL, expr)
    expr = re.sub(r"\$\{?(__range)\}?", "1h", expr)
    for name in sorted(values, key=len, reverse=True):
        expr = re.sub(rf"\$\{{{name}(:[a-z]+)?\}}|\${name}\b|\[\[{name}\]\]", lambda _, name=name: values[name], expr)
    return expr


def _variable_values(prom: str, query: str) -> list[str]:
    m = re.fullmatch(r"\s*label_values\((?:(.*),\s*)?([A-Za-z_][A-Za-z0-9_]*)\)\s*", query, re.S)
    if m:
        params = {"match[]": m.group(1)} if m.group(1) else {}
        r = requests.get(f"{prom}/api/v1/label/{m.group(2)}/values", params=params, timeout=10).json()
        assert r["status"] == "success", f"{query}: {r.get('error')}"
        return r["data"]
    m = re.fullmatch(r"\s*query_result\((.*)\)\s*", query, re.S)
    if m:
        return [json.dumps(x["metric"]) for x in _query(prom, m.group(1))["result"]]
    if re.fullmatch(r"\s*label_names\(\)\s*", query):
        return requests.get(f"{prom}/api/v1/labels", timeout=10).json()["data"]
    return _query(prom, query)["result"]


def _dashboards(stack: Stack) -> list[dict]:
    files = sorted((stack.workdir / "generated" / "dashboards").glob("*.json"))
    assert files, "the stack's build wrote no dashboards"
    return [json.loads(f.read_text()) for f in files]


def test_every_dashboard_query_runs_and_pipeline_panels_show_data(stack):
    prom = stack.url("prometheus")
    errors, empty_pipeline, ran = [], [], 0
    for dash in _dashboards(stack):
        values: dict[str, str] = {}
        for var in dash.get("templating", {}).get("list", []):
            if var.get("type") != "query":
                continue
            query = var["query"]["query"] if isinstance(var["query"], dict) else var["query"]
            try:
                found = _variable_values(prom, _interpolate(query, values))
            except AssertionError as exc:
                errors.append(f"{dash['uid']}: variable {var['name']}: {exc}")
                continue
            ran += 1
            if not found:
                errors.append(f"{dash['uid']}: variable {var['name']} has no values")
            values[var["name"]] = ("(" + "|".join(_escape(v) for v in found) + ")") if found else "no-value"
        for panel in _panels(dash.get("panels", [])):
            for target in panel.get("targets", []):
                if not target.get("expr"):
                    continue
                expr = _interpolate(target["expr"], values)
                try:
                    result = _query(prom, expr)["result"]
                except AssertionError as exc:
                    errors.append(f"{dash['uid']}: panel {panel.get('title')!r}: {exc}")
                    continue
                ran += 1
                if dash["uid"] == "vv-pipeline" and not result:
                    empty_pipeline.append((f"panel {panel.get('title')!r}: {target['expr']}", expr))
    assert not errors, "\n".join(errors)
    # A subquery's steps are aligned to its step: on a stack younger than one step, a mean over
    # recorded rates has no point yet. Give those panels a few steps, not forever.
    def still_empty():
        return [shown for shown, expr in empty_pipeline if not _query(prom, expr)["result"]]
    deadline = time.monotonic() + 2 * duration_seconds(RATE_INTERVAL) + 10
    while empty_pipeline and time.monotonic() < deadline:
        time.sleep(2)
        empty_pipeline = [(shown, expr) for shown, expr in empty_pipeline if shown in still_empty()]
    empty_pipeline = [shown for shown, _ in empty_pipeline]
    assert not empty_pipeline, "pipeline panels without data:\n" + "\n".join(empty_pipeline)
    assert ran > 50


# -- the DVR alert, end to end --------------------------------------------------------------

def _notifications_for(stack: Stack, alertname: str, status: str) -> list[dict]:
    out = []
    for record in read_notifications(stack.notifications):
        for alert in record["payload"].get("alerts", []):
            if alert["labels"].get("alertname") == alertname and alert["status"] == status:
                out.append({**record, "alert": alert})
    return out


@pytest.fixture(scope="module")
def second_run(workdir, stack):
    """The other generation in the same folder, right after the first run (which ended with its
    DVR down)."""
    if stack.procs:     # the first run's stop test was not selected: stop it here
        stack.first_instances = {t["labels"]["instance"] for t in targets(stack.url("prometheus"))}
        stack.stop(progress=lambda *_: None)
    s = Stack(workdir)
    try:
        started = time.time()
        s.up(profile="test", progress=lambda line: print(line, flush=True), generation_number=SECOND)
        _all_up(s)
        yield s, started, time.time()
    finally:
        s.stop(progress=lambda *_: None)


def test_dvr_alert_stays_quiet_while_the_dvr_streams(stack):
    prom = stack.url("prometheus")
    assert _value(prom, 'max(vv_agent_dvr_connection_status{dvr="dvr1"})') == 1
    assert not [a for a in firing_alerts(prom) if a["labels"]["alertname"] == DVR_ALERT]
    assert _query(prom, f'ALERTS{{alertname="{DVR_ALERT}"}}')["result"] == []
    assert not _notifications_for(stack, DVR_ALERT, "firing")


def _dvr_fault_fires_and_resolves(stack: Stack) -> None:
    """Stop the DVR simulator: VVDvrDisconnected reaches the webhook, routed by severity, no sooner
    than its `for`; start it again: the resolved notification follows."""
    inv = stack.inventory
    for_ = inv.thresholds("dvr")("disconnected_for")
    stopped_at = time.time()
    stack.procs["dvr_simulator"].stop()
    fired = _wait(lambda: _notifications_for(stack, DVR_ALERT, "firing"), 120, f"{DVR_ALERT} at the webhook")
    latency = fired[0]["received_at"] - stopped_at
    alert = fired[0]["alert"]
    assert alert["labels"]["dvr"] == "dvr1" and alert["labels"]["site"] == "local"
    assert alert["labels"]["severity"] == "critical"
    assert fired[0]["path"] == "/" + inv["alerting"]["routes"]["critical"]   # routed by severity
    assert alert["annotations"]["runbook_url"]
    assert latency >= duration_seconds(for_), "fired before its `for` elapsed"
    assert _query(stack.url("prometheus"), f'ALERTS{{alertname="{DVR_ALERT}", alertstate="firing"}}')["result"]
    print(f"\ngeneration {stack.generation.number}: DVR fault -> notification latency: {latency:.1f}s (for {for_}, scrape "
          f"{inv['prometheus']['scrape_interval']}, evaluation {inv['prometheus']['evaluation_interval']}, "
          f"group_wait {inv['alerting']['group_wait']})")

    restarted_at = time.time()
    stack.start_part("dvr_simulator", progress=lambda *_: None)
    resolved = _wait(lambda: _notifications_for(stack, DVR_ALERT, "resolved"), 120, f"{DVR_ALERT} resolved")
    print(f"DVR back -> resolved notification: {resolved[0]['received_at'] - restarted_at:.1f}s "
          f"(group_interval {inv['alerting']['group_interval']})")
    assert resolved[0]["alert"]["labels"]["dvr"] == "dvr1"


def test_stopping_the_dvr_fires_the_alert_to_the_webhook_and_restarting_resolves_it_on_the_first(stack):
    _dvr_fault_fires_and_resolves(stack)


# -- the alerting path watched, links that open (rules/meta.py, vvdash.linkserver) -----------

HEARTBEAT = "VVAlertingHeartbeat"
NOTIFY_ALERT = "VVPrometheusNotificationsFailing"


def test_the_heartbeat_reaches_its_own_receiver_repeatedly(stack):
    beat = stack.inventory["alerting"]["heartbeat"]
    path = "/" + beat["receiver"]
    every = duration_seconds(beat["repeat_interval"])
    arrivals = lambda: sorted(r["received_at"] for r in read_notifications(stack.notifications)  # noqa: E731
                              if r["path"] == path and any(a["labels"]["alertname"] == HEARTBEAT
                                                           for a in r["payload"]["alerts"]))
    have = len(arrivals())
    _wait(lambda: len(arrivals()) >= have + 3, 20 * every + 30, "three more heartbeats")
    times = arrivals()
    gaps = [b - a for a, b in itertools.pairwise(times)]
    print(f"\nheartbeat: {len(times)} notifications, gaps {', '.join(f'{g:.1f}s' for g in gaps[-3:])} "
          f"(repeat_interval {beat['repeat_interval']})")
    # Repeated at its interval (a group is looked at every quarter of it), not a burst.
    assert all(every * 0.5 <= g <= every * 3 + 2 for g in gaps[-3:]), gaps
    others = [r["path"] for r in read_notifications(stack.notifications) if r["path"] != path
              and any(a["labels"]["alertname"] == HEARTBEAT for a in r["payload"]["alerts"])]
    assert not others, f"the heartbeat also went to {others}"


def test_every_link_in_a_delivered_notification_answers_200(stack):
    links = {}
    for record in read_notifications(stack.notifications):
        for alert in record["payload"]["alerts"]:
            for key in ("runbook_url", "dashboard_url"):
                links.setdefault(alert["annotations"][key], alert["labels"]["alertname"])
    names = set(links.values())
    assert {HEARTBEAT, DVR_ALERT} <= names, names
    runbook_ids: dict[str, set] = {}
    for url, name in sorted(links.items()):
        r = requests.get(url, timeout=5)
        assert r.status_code == 200, f"{name}: {url} answered {r.status_code}"
        base, _, anchor = url.partition("#")
        if anchor:
            ids = runbook_ids.setdefault(base, set(re.findall(r'id="([^"]+)"', r.text)))
            assert anchor in ids, f"{name}: {url} has no section {anchor!r}"
    print(f"\n{len(links)} links in {len(names)} alerts' notifications, each HTTP 200")


def test_stopping_alertmanager_fires_the_notification_failure_alert(stack):
    prom = stack.url("prometheus")
    for_ = duration_seconds(stack.inventory.thresholds("meta")("for"))
    step = duration_seconds(stack.inventory["prometheus"]["evaluation_interval"])
    firing = f'ALERTS{{alertname="{NOTIFY_ALERT}", alertstate="firing"}}'
    assert _query(prom, f'ALERTS{{alertname="{NOTIFY_ALERT}"}}')["result"] == []
    stopped_at = time.monotonic()
    stack.procs["alertmanager"].stop()
    try:
        _wait(lambda: _query(prom, firing)["result"], for_ + 60, f"{NOTIFY_ALERT} firing in Prometheus")
        latency = time.monotonic() - stopped_at
    finally:
        stack.start_part("alertmanager", progress=lambda *_: None)
    print(f"\nAlertmanager stopped -> {NOTIFY_ALERT} firing: {latency:.1f}s (for {for_:g}s, evaluation and "
          f"resend every {step:g}s)")
    # Pending through its `for`, then firing: the failed sends show within a few evaluations.
    assert for_ <= latency <= for_ + 10 * step + 5, latency


def _links_answer(running: Stack) -> None:
    urls = {label: url for label, url in running.urls().items() if url.startswith("http")}
    assert {"Prometheus", "Prometheus targets", "Prometheus alerts", "Alertmanager", "Pushgateway"} <= set(urls)
    for label, url in urls.items():
        r = requests.get(url.split("#")[0], timeout=10, stream=label == "DVR simulator")
        assert r.status_code == 200, f"{label}: {url}: HTTP {r.status_code}"
        if label != "DVR simulator":
            assert "does not include a web application" not in " ".join(r.text.split()), f"{label}: {url}"
        r.close()
    # Debian's builds: 2.42 has only its classic pages, 3.5 only the API.
    expected = {3: "/api/v1/targets", 2: "/classic/targets"}[running.generation.number]
    assert expected in urls["Prometheus targets"], urls
    # Debian's Alertmanager answers `/` with a page saying it has no web application: the API instead.
    assert urls["Alertmanager"].endswith("/api/v2/alerts"), urls


def test_every_printed_link_answers_on_the_first(stack):
    _links_answer(stack)


def test_the_first_run_stops_with_its_dvr_down_and_leaves_no_process_behind(stack):
    prom = stack.url("prometheus")
    stack.procs["dvr_simulator"].stop()
    # The first run's last samples say the DVR is gone: a ghost for any run that kept them.
    _wait(lambda: _value(prom, 'max(probe_success{dvr="dvr1"})') == 0
          and _value(prom, 'max(vv_agent_dvr_connection_status{dvr="dvr1"})') == 0, 30, "the DVR seen down")
    first_instances = {t["labels"]["instance"] for t in targets(prom)}
    stack.first_instances = first_instances
    _stops_without_leftovers(stack)


def _stops_without_leftovers(stack) -> None:
    pids = [p.pid for p in stack.procs.values()]
    assert len(pids) >= 8
    stack.stop(progress=lambda *_: None)
    time.sleep(0.5)
    assert not [pid for pid in pids if pid_alive(pid)]
    assert leftovers(stack.inventory.path) == []
    assert not Path(stack.pid_file).exists()


def test_a_second_run_starts_clean(stack, second_run):
    """count(up) equals the number of targets from the first scrape on; none of the first run's
    instances and no alert from its series (its DVR was down, this run's streams)."""
    second, started, ready = second_run
    assert second.generation.number == SECOND and second.generation.version("prometheus").startswith(f"{SECOND}.")
    assert stack.generation.number == FIRST
    prom = second.url("prometheus")
    for_ = duration_seconds(second.inventory.thresholds("dvr")("disconnected_for"))
    time.sleep(max(0.0, ready + for_ * 2 + 5 - time.time()))   # long enough for a ghost to fire
    now = time.time()
    current = {t["labels"]["instance"] for t in targets(prom)}
    assert current and not current & stack.first_instances     # free ports: other instances
    r = requests.get(f"{prom}/api/v1/query_range", timeout=10, params={
        "query": "count(up)", "start": started - 60, "end": now, "step": "1s"}).json()
    points = [(float(t), float(v)) for series in r["data"]["result"] for t, v in series["values"]]
    assert len(points) >= 10, r
    # Prometheus spreads the first scrapes over one interval; from then on every target counts once.
    scrape = duration_seconds(second.inventory["prometheus"]["scrape_interval"])
    first = points[0][0]
    assert max(v for _, v in points) == len(current), points
    settled = sorted({v for t, v in points if t >= first + scrape})
    assert settled == [len(current)], f"count(up) after the first scrapes: {settled}, targets {len(current)}"
    window = f"{int(now - started) + 60}s"
    seen = _query(prom, f"group by (instance) (last_over_time(up[{window}]))")["result"]
    assert {x["metric"]["instance"] for x in seen} == current
    ghosts = _query(prom, f'last_over_time(ALERTS{{alertname=~"VVDvr.*"}}[{window}])')["result"]
    assert ghosts == [], ghosts
    assert not [n for n in read_notifications(second.notifications)
                for a in n["payload"].get("alerts", []) if a["labels"].get("alertname", "").startswith("VVDvr")]
    # The first run's notifications were kept aside, not mixed into this run's file.
    assert (second.workdir / "previous-run" / "notifications.jsonl").exists()


def test_stopping_the_dvr_fires_the_alert_to_the_webhook_and_restarting_resolves_it_on_the_second(second_run):
    _dvr_fault_fires_and_resolves(second_run[0])


def test_every_printed_link_answers_on_the_second(second_run):
    _links_answer(second_run[0])


def test_down_leaves_no_process_behind(second_run):
    _stops_without_leftovers(second_run[0])
