"""Helpers for the stack tests: render the project for an edited inventory, read scrape configs."""

from __future__ import annotations

import copy
import os
import subprocess
import sys
from pathlib import Path

import yaml

from vvdash.build import render
from vvdash.project import load_project

ROOT = Path(__file__).resolve().parents[2]
BASE_INVENTORY = ROOT / "vvdash.yaml"


def base_inventory() -> dict:
    return yaml.safe_load(BASE_INVENTORY.read_text())


def port(service: str) -> int:
    """A service's port in the base inventory (tests never repeat it)."""
    return base_inventory()["services"][service]["port"]


def write_inventory(tmp: Path, data: dict, name: str = "vvdash.yaml") -> Path:
    path = tmp / name
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def render_to(inventory_path: Path, out: Path) -> dict[str, bytes]:
    """Every emitter's output for this inventory, written under `out`."""
    files = render(load_project(inventory_path))
    for rel, content in files.items():
        (out / rel).parent.mkdir(parents=True, exist_ok=True)
        (out / rel).write_bytes(content)
    return files


def fleet(sites: int) -> dict:
    """The base inventory with `sites` sites, two hosts and two DVRs each."""
    data = base_inventory()
    template = data["sites"][0]
    data["sites"] = []
    for i in range(sites):
        site = copy.deepcopy(template)
        site["name"] = f"site{i}"
        site["hosts"] = [{"name": f"s{i}-a", "address": f"10.0.{i}.1"}, {"name": f"s{i}-b", "address": f"10.0.{i}.2"}]
        site["dvrs"] = [{"name": "cam1", "address": f"10.0.{i}.50", "port": 8554, "path": "/live", "probe": "http"},
                        {"name": "cam2", "address": f"10.0.{i}.51", "port": 554, "probe": "tcp"}]
        data["sites"].append(site)
    return data


def target_groups(config_path: Path) -> dict[str, list[dict]]:
    """job name -> its target groups, static or read from its file_sd files."""
    config = yaml.safe_load(config_path.read_text())
    out = {}
    for job in config["scrape_configs"]:
        groups = list(job.get("static_configs", []))
        for sd in job.get("file_sd_configs", []):
            for pattern in sd["files"]:
                groups += yaml.safe_load((config_path.parent / pattern).read_text())
        out[job["job_name"]] = groups
    return out


def scrape_addresses(config_path: Path) -> dict[str, set[str]]:
    """job -> the host:port addresses Prometheus connects to (after the blackbox relabelling)."""
    config = yaml.safe_load(config_path.read_text())
    groups = target_groups(config_path)
    out = {}
    for job in config["scrape_configs"]:
        name = job["job_name"]
        to_address = [r for r in job.get("relabel_configs", []) if r.get("target_label") == "__address__"]
        addresses = set()
        for group in groups[name]:
            if to_address:
                addresses.add(group["labels"][to_address[0]["source_labels"][0]])
            else:
                addresses.update(group["targets"])
        out[name] = addresses
    return out


def run_cli(args: list[str], env: dict | None = None, timeout: float = 180) -> subprocess.CompletedProcess:
    """`python -m vvdash ARGS` in the project, as a user runs it."""
    return subprocess.run([sys.executable, "-m", "vvdash", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=timeout, env={**os.environ, **(env or {})})
