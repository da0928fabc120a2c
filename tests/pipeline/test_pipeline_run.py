"""`vvdash pipeline run`: starts the services under the supervisor, reports progress, stops them all."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest
import requests

from pipeline.storage import Storage
from pipeline_helpers import port_of, wait_for, write_inventory
from tests.helpers import PROJECT_ROOT
from vvdash.procs import port_in_use

MINE = ("dvr_simulator", "scan_video", "summarize_scene", "logline_generator", "orchestrator", "agent_dvr")


@pytest.mark.timeout(120)
def test_pipeline_run_starts_the_services_processes_segments_and_stops_on_ctrl_c(tmp_path):
    inv_path, root, env = write_inventory(tmp_path, segment_seconds=1)
    log_dir = tmp_path / "logs"
    proc = subprocess.Popen([sys.executable, "-m", "vvdash", "--inventory", str(inv_path), "pipeline", "run",
                             "--only", ",".join(MINE), "--log-dir", str(log_dir)],
                            cwd=PROJECT_ROOT, env={**os.environ, **env}, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, start_new_session=True)
    try:
        storage = Storage(root)
        wait_for(lambda: len(storage.logline_files()) >= 2 or proc.poll() is not None, 60, "two loglines")
        assert proc.poll() is None
        for name in MINE[1:]:
            assert requests.get(f"http://127.0.0.1:{port_of(inv_path, name)}/healthz", timeout=5).status_code == 200
        wait_for(lambda: "processed" in (log_dir / "orchestrator.log").read_text(encoding="utf-8"), 10, "a log line")
        proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    assert proc.returncode == 0, out
    assert "running dvr_simulator, scan_video, summarize_scene, logline_generator, orchestrator, agent_dvr" in out
    assert "stopped 6 services" in out
    for name in MINE:
        assert (log_dir / f"{name}.log").stat().st_size > 0, name
        assert not port_in_use(port_of(inv_path, name)), name


def test_pipeline_run_names_an_unknown_service(tmp_path):
    inv_path, _, env = write_inventory(tmp_path)
    r = subprocess.run([sys.executable, "-m", "vvdash", "--inventory", str(inv_path), "pipeline", "run",
                        "--only", "scan_video,scna_video"], cwd=PROJECT_ROOT, env={**os.environ, **env},
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 2
    assert "--only: unknown service 'scna_video'" in r.stderr


def test_pipeline_run_without_a_key_stops_with_the_services_reason(tmp_path):
    inv_path, _, env = write_inventory(tmp_path, key=False)
    r = subprocess.run([sys.executable, "-m", "vvdash", "--inventory", str(inv_path), "pipeline", "run",
                        "--only", "scan_video,logline_generator", "--log-dir", str(tmp_path / "logs")],
                       cwd=PROJECT_ROOT, env={**os.environ, **env}, capture_output=True, text=True, timeout=90)
    assert r.returncode == 2, r.stderr
    last = r.stderr.strip().splitlines()[-1]
    assert last.startswith("vvdash: error: logline_generator: did not become healthy (logline_generator: cannot start: "
                           "pipeline.hmac_key: cannot read secret file"), last
    assert not port_in_use(port_of(inv_path, "scan_video"))     # what had started is stopped again
