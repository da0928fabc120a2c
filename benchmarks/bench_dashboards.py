"""Dashboards in-process: definitions -> Grafana model, linter and metric coverage (median of N runs).

The build's dashboard share must stay small next to the whole build (bench_build.py, <= 1.5 s).
Usage: .venv/bin/python benchmarks/bench_dashboards.py [RUNS]
"""

from __future__ import annotations

import importlib
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from vvdash import definitions, inventory  # noqa: E402
from vvdash.check import dashboard_lint, metric_coverage  # noqa: E402
from vvdash.project import load_project  # noqa: E402

TARGET_SECONDS = 0.25


def _timed(func, runs):
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        result = func()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def main() -> int:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    inv = inventory.load()
    project = load_project()
    exceptions = dashboard_lint.load_exceptions()

    def models():
        for name in list(sys.modules):
            if name.startswith("dashboards."):
                importlib.reload(sys.modules[name])
        return definitions.load_dashboards(inv)

    t_models, dashboards = _timed(models, runs)
    t_lint, findings = _timed(lambda: dashboard_lint.lint(dashboards, exceptions), runs)
    t_cov, unused = _timed(lambda: metric_coverage.unused_vv_metrics(project), runs)
    panels = sum(len(d.model["panels"]) for d in dashboards)
    total = t_models + t_lint + t_cov
    print(f"dashboards: {len(dashboards)} dashboards, {panels} panels; models {t_models * 1000:.1f} ms, "
          f"lint {t_lint * 1000:.1f} ms ({len(findings)} findings), coverage {t_cov * 1000:.1f} ms "
          f"({len(unused)} unused); total {total * 1000:.1f} ms (target <= {TARGET_SECONDS * 1000:.0f} ms) "
          f"-> {'OK' if total <= TARGET_SECONDS else 'SLOW'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
