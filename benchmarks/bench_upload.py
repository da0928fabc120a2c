"""`vvdash upload` of 50 dashboards to the Grafana stand-in, sequential and concurrent.

For each Grafana API (11: the legacy API; 12: the dashboard resource API), network latency (added by the
stand-in to every answer) and --jobs value: the first upload (50 reads + 50 saves) and the second (50 reads,
no write) on a fresh stand-in process.
Usage: .venv/bin/python benchmarks/bench_upload.py [DASHBOARDS] [LATENCY_MS,...] [JOBS,...] [GRAFANA,...]
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from vvdash.cli import main as vvdash_main  # noqa: E402
from vvdash.procs import Process, free_port, wait_http  # noqa: E402

PANELS = 14  # about the size of the generated dashboards


def fixture_dashboard(i: int) -> dict:
    panels = [{"id": p + 1, "type": "timeseries", "title": f"Panel {p}", "description": "Items per second.",
               "gridPos": {"h": 8, "w": 12, "x": (p % 2) * 12, "y": (p // 2) * 8},
               "datasource": {"type": "prometheus", "uid": "${datasource}"},
               "fieldConfig": {"defaults": {"unit": "ops", "custom": {"lineWidth": 1, "fillOpacity": 10}},
                               "overrides": []},
               "options": {"legend": {"displayMode": "table", "placement": "bottom", "calcs": ["mean", "max"]}},
               "targets": [{"expr": f'sum by (stage) (rate(vv_pipeline_items_total{{site=~"$site",n="{p}"}}'
                                    '[$__rate_interval]))', "legendFormat": "{{stage}}", "refId": "A",
                            "datasource": {"type": "prometheus", "uid": "${datasource}"}}]}
              for p in range(PANELS)]
    return {"uid": f"vv-bench-{i:03d}", "title": f"Bench dashboard {i:03d}", "id": None, "schemaVersion": 39,
            "tags": ["vv", "bench"], "timezone": "browser", "refresh": "30s", "panels": panels,
            "templating": {"list": [{"name": "datasource", "type": "datasource", "query": "prometheus"}]},
            "time": {"from": "now-6h", "to": "now"}}


def upload_seconds(url: str, folder: Path, jobs: int) -> tuple[float, int, str]:
    out = io.StringIO()
    start = time.perf_counter()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
        code = vvdash_main(["upload", "--grafana-url", url, "--dashboards", str(folder), "--jobs", str(jobs)])
    return time.perf_counter() - start, code, out.getvalue().strip().splitlines()[-1]


def main() -> int:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 50
    latencies = [float(x) for x in (sys.argv[2] if len(sys.argv) > 2 else "0,20").split(",")]
    jobs_list = [int(x) for x in (sys.argv[3] if len(sys.argv) > 3 else "1,4,8").split(",")]
    grafanas = (sys.argv[4] if len(sys.argv) > 4 else "11,12").split(",")
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        folder = tmp / "dashboards"
        folder.mkdir()
        for i in range(count):
            (folder / f"vv-bench-{i:03d}.json").write_text(json.dumps(fixture_dashboard(i), indent=2))
        size_kb = sum(p.stat().st_size for p in folder.iterdir()) / count / 1024
        token_file = tmp / "token"
        token_file.write_text("bench-token\n")
        os.chmod(token_file, 0o600)
        os.environ["VVDASH_GRAFANA_TOKEN"] = "bench-token"
        print(f"upload: {count} dashboards of {size_kb:.1f} KB to the Grafana stand-in (separate process)")
        for grafana, latency_ms, jobs in [(g, lat, j) for g in grafanas for lat in latencies for j in jobs_list]:
            port = free_port()
            standin = Process("grafana-standin", [sys.executable, "-m", "tests.grafana_standin",
                                                  "--port", str(port), "--token-file", str(token_file),
                                                  "--latency", str(latency_ms / 1000), "--apis", grafana],
                              tmp / "standin.log", env={"PYTHONPATH": str(ROOT)}, cwd=ROOT).start()
            try:
                url = f"http://127.0.0.1:{port}"
                wait_http(url + "/api/health", proc=standin.popen)
                first, code1, summary1 = upload_seconds(url, folder, jobs)
                second, code2, summary2 = upload_seconds(url, folder, jobs)
            finally:
                standin.stop()
            if code1 or code2:
                print(f"upload failed: {summary1} / {summary2}", file=sys.stderr)
                return 1
            print(f"  grafana {grafana}  latency {latency_ms:>4.0f} ms  jobs {jobs}:  first upload {first:6.2f} s "
                  f"({count / first:6.1f} dashboards/s)   second (unchanged) {second:6.2f} s "
                  f"({count / second:6.1f}/s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
