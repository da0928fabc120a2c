"""A site's series measured from its running Prometheus and replayed for the simulated fleet
(vvdash/fleet_stack/measured.py): a real Prometheus scrapes a site's exporter, the capture holds
exactly what it scraped (less what Prometheus makes itself), and a simulated site serving the
capture is scraped into the same series under its own `site`. benchmarks/bench_fleet_site_series.py
measures the local stack's pipeline this way.
"""

from __future__ import annotations

import json

import pytest

from vvdash.fleet_stack import measured
from vvdash.fleet_stack.runtime import wait_until
from vvdash.fleet_stack.sim_exporter import exposed
from vvdash.generations import GENERATIONS
from vvdash.procs import Process, free_port, wait_http

GEN = GENERATIONS[3]
pytestmark = pytest.mark.skipif(not GEN.has("prometheus"), reason=f"no Prometheus 3 from {GEN.source} (make setup)")


def _scrape(tmp, name: str, ports: dict, profile=None):
    """The simulated exporters on `ports` and a Prometheus scraping them (honor_labels); its URL."""
    cfg = tmp / f"{name}.json"
    cfg.write_text(json.dumps({"exporters": ports, "profile": str(profile) if profile else None}))
    import sys  # noqa: PLC0415

    procs = [Process(f"{name}-exporters", [sys.executable, "-m", "vvdash.fleet_stack.sim_exporter", str(cfg)],
                     tmp / f"{name}-exporters.log").start()]
    prom_port = free_port()
    (tmp / f"{name}.yml").write_text(json.dumps({
        "global": {"scrape_interval": "1s"},
        "scrape_configs": [{"job_name": "site", "honor_labels": True,
                            "static_configs": [{"targets": [f"127.0.0.1:{p}" for p in ports.values()]}]}]}))
    procs.append(Process(name, [GEN.require("prometheus"), f"--config.file={tmp / f'{name}.yml'}",
                                f"--storage.tsdb.path={tmp / name}", f"--web.listen-address=127.0.0.1:{prom_port}"],
                         tmp / f"{name}.log").start())
    url = f"http://127.0.0.1:{prom_port}"
    wait_http(f"{url}/-/ready", timeout=60, proc=procs[-1].popen)
    return url, procs


def _keys(rows, site=None):
    return {(n, tuple(sorted({**labels, **({"site": site} if site else {})}.items()))) for n, labels, *_ in rows}


def test_a_capture_replays_as_another_sites_series(tmp_path):
    procs = []
    try:
        url, started = _scrape(tmp_path, "measured", {"site-a": free_port()})
        procs += started
        want = {(s.name, tuple(sorted((k, v) for k, v in s.labels.items() if k != "site"))) for s in exposed("site-a")
                if not measured.made_by_prometheus(s.name, s.labels)}
        captured = wait_until(lambda: (c := measured.capture(url)) and len(c["series"]) >= len(want) and c, 60,
                              "the exporter's series in Prometheus")
        assert captured["site"] == "site-a" and _keys(captured["series"]) == want
        assert sum(captured["per_job"].values()) == len(want)
        profile = tmp_path / "site-series.json"
        profile.write_text(json.dumps(captured))

        url2, started = _scrape(tmp_path, "replayed", {"site-b": free_port(), "site-c": free_port()}, profile)
        procs += started
        for site in ("site-b", "site-c"):
            again = wait_until(lambda s=site: (c := measured.capture(url2, s)) and len(c["series"]) >= len(want) and c,
                               60, f"{site}'s replayed series")
            assert _keys(again["series"]) == want, site
        # Counters keep counting up from the capture's values; gauges stay at them.
        by_key = {(n, tuple(sorted(lb.items()))): v for n, lb, _k, v in captured["series"]}
        for n, lb, kind, v in again["series"]:
            if kind == "gauge":
                assert v == by_key[(n, tuple(sorted(lb.items())))], n
    finally:
        for p in reversed(procs):
            p.stop()


def test_a_file_that_is_not_a_capture_is_one_line(tmp_path):
    bad = tmp_path / "x.json"
    bad.write_text("[1, 2]")
    with pytest.raises(measured.VVError, match=r"x.json: not a captured site series file"):
        measured.load(bad)
