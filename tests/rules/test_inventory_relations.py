"""Relationships between inventory values: each broken one is a one-line error naming both keys."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from vvdash.errors import VVError
from vvdash.inventory import load

ROOT = Path(__file__).resolve().parents[2]

# (edit of the shipped vvdash.yaml, the error line after the file name)
CASES = {
    "corrupted warning not below critical": (
        "corrupted_files_warning: 1", "corrupted_files_warning: 10",
        "thresholds.pipeline.corrupted_files_warning: 10 must be below thresholds.pipeline.corrupted_files_critical (10)"),
    "fill horizons the wrong way round": (
        "fill_critical_horizon: 4h", "fill_critical_horizon: 30h",
        "thresholds.storage.fill_warning_horizon: 24h must be longer than thresholds.storage.fill_critical_horizon"
        " (30h): the warning predicts further ahead"),
    "almost-full floor above the fill floor": (
        "almost_full_free_ratio: 0.05", "almost_full_free_ratio: 0.2",
        "thresholds.storage.almost_full_free_ratio: 0.2 must be below thresholds.storage.fill_free_floor_ratio (0.15)"
        ": almost full is the lower, critical floor"),
    "window not longer than the scrape interval": (
        "restart_loop_window: 15m", "restart_loop_window: 15s",
        "thresholds.platform.restart_loop_window: 15s must be longer than prometheus.scrape_interval (15s)"),
    "window not longer than the evaluation interval": (
        "evaluation_interval: 15s", "evaluation_interval: 5m",
        "thresholds.dvr.disconnected_for: 2m must not be shorter than prometheus.evaluation_interval (5m): "
        "rules are only evaluated that often"),
    "for shorter than the evaluation interval": (
        "almost_full_for: 5m", "almost_full_for: 10s",
        "thresholds.storage.almost_full_for: 10s must not be shorter than prometheus.evaluation_interval (15s): "
        "rules are only evaluated that often"),
    "rate window under four scrapes": (
        "stalled_for: 15m", "stalled_for: 50s",
        "thresholds.pipeline.stalled_for: 50s must be at least 4 scrape intervals (prometheus.scrape_interval 15s: "
        "1m) for a rate or increase over it"),
    "scheduler window under four scrapes": (
        "tv_scheduler: {period_seconds: 60}", "tv_scheduler: {period_seconds: 20}",
        "pipeline.tv_scheduler.period_seconds: 20 x thresholds.scheduler.stale_periods (2) = 40s must be at least 4 "
        "scrape intervals (prometheus.scrape_interval 15s) and longer than prometheus.evaluation_interval (15s): it "
        "is the window of an increase()"),
    "scrape interval too long for the fixed rate windows": (
        "scrape_interval: 15s", "scrape_interval: 90s",
        "prometheus.scrape_interval: 90s is too long for the rules' 5m rate windows: at most 1m15s "
        "(4 scrapes per window)"),
    "SLO whose fast burn cannot fire": (
        "slo_target: 0.99", "slo_target: 0.9",
        "thresholds.pipeline.slo_target: 0.9 leaves an error budget of 0.1; the fastest burn alert (14.4x the "
        "budget) could never fire: expected more than 0.9306"),
    "a ratio that can never be exceeded": (
        "failure_ratio: 0.1", "failure_ratio: 1",
        "thresholds.summarizer.failure_ratio: 1 must be below 1: a share of items never exceeds 1, so the alert "
        "could never fire"),
    "storage for within an evaluation of the critical horizon": (
        "fill_critical_horizon: 4h", "fill_critical_horizon: 1h10s",
        "thresholds.storage.for: 1h plus prometheus.evaluation_interval (15s) must not exceed "
        "thresholds.storage.fill_critical_horizon (1h10s): the disk could be full before the alert fires"),
    "storage for as long as the critical horizon": (
        "    for: 1h\n    almost_full_for", "    for: 4h\n    almost_full_for",
        "thresholds.storage.for: 4h must be shorter than thresholds.storage.fill_critical_horizon (4h): the disk "
        "would be full before the alert fires"),
}


@pytest.mark.parametrize("case", CASES, ids=list(CASES))
def test_a_broken_relationship_is_one_line_naming_both_keys(tmp_path, case):
    old, new, message = CASES[case]
    text = (ROOT / "vvdash.yaml").read_text()
    assert old in text
    path = tmp_path / "vvdash.yaml"
    path.write_text(text.replace(old, new, 1))
    with pytest.raises(VVError) as err:
        load(path)
    assert str(err.value) == f"{path}: {message}"


def test_the_cli_exits_2_with_the_line(tmp_path):
    path = tmp_path / "vvdash.yaml"
    path.write_text((ROOT / "vvdash.yaml").read_text().replace("corrupted_files_critical: 10",
                                                               "corrupted_files_critical: 1"))
    result = subprocess.run([sys.executable, "-m", "vvdash", "--inventory", str(path), "lint"], cwd=ROOT,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"vvdash: error: {path}: thresholds.pipeline.corrupted_files_warning: 1 must be below "
        "thresholds.pipeline.corrupted_files_critical (1)"]


def test_the_shipped_inventory_keeps_every_relationship():
    load(ROOT / "vvdash.yaml")
