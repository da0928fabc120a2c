"""Real TSDB blocks for a fleet: OpenMetrics through `promtool tsdb create-blocks-from openmetrics`,
the recording rules through `promtool tsdb create-blocks-from rules` against a Prometheus on them,
then compacted by Prometheus itself as a server running for that long would have done.

The finished data folder is cached (git-ignored .cache/query-cost/) under a key of the shape,
the span and the rules, so a benchmark backfills once and measures many times. cAdvisor's series
(a shape with containers) are a layer of their own over the same span: adding them backfills only
them and the records that read them, on top of a cached data set without them.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
import os
import shutil
import subprocess
import tempfile
import time
from dataclasses import asdict
from pathlib import Path

import promql_parser as pp
import requests
import yaml

from vvdash import project_folder
from vvdash.generations import GENERATIONS
from vvdash.cost.series import SERIES_VERSION, Series, Shape, fleet_container_series, fleet_series, write_openmetrics
from vvdash.errors import VVError
from vvdash.procs import Process, start_on_free_port

CACHE_DIR = ".cache/query-cost"      # in the project folder
RAW_WINDOW_S = 6 * 3600          # one promtool run per aligned 6 h window keeps each input file small
PROMTOOL_TIMEOUT = 3600


# -- binaries of both generations ---------------------------------------------------------
def binary(name: str, generation: int) -> str:
    """prometheus/promtool of a generation: 2 from PATH (Debian stable), 3 from the project's fetched tools."""
    if generation == 3:
        path = (GENERATIONS[3].directory() or Path()) / name
        if not path.exists():
            raise VVError(f"{path}: {name} 3.x not found (fetch the project's tools first)")
        return str(path)
    found = shutil.which(name)
    if not found:
        raise VVError(f"{name}: binary not found; install the Debian package prometheus")
    return found


def version(path: str) -> str:
    out = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=30)
    first = (out.stdout or out.stderr).splitlines()[0] if (out.stdout or out.stderr) else ""
    return first.split("version ")[1].split()[0] if "version " in first else first


# -- a Prometheus over a data folder --------------------------------------------------------
class Server:
    """A Prometheus with no scrape jobs over `data`, on a port it binds itself (started again on
    another if one is taken first); stopped on exit."""

    def __init__(self, prometheus: str, data: Path, log: Path):
        self.prometheus, self.data, self.log = prometheus, Path(data), Path(log)
        self.port = 0
        self.url = ""
        self.proc: Process | None = None

    def _start(self, port: int) -> Process:
        config = self.data.parent / f"prometheus-{port}.yml"
        config.write_text("global: {scrape_interval: 15s, evaluation_interval: 15s}\nscrape_configs: []\n")
        return Process("prometheus", [
            self.prometheus, f"--config.file={config}", f"--storage.tsdb.path={self.data}",
            f"--web.listen-address=127.0.0.1:{port}", "--storage.tsdb.retention.time=15d",
            "--query.max-samples=500000000", "--query.timeout=5m", "--log.level=warn",
        ], self.log).start()

    def __enter__(self) -> Server:
        try:
            self.proc, self.port = start_on_free_port(self._start, lambda port: f"http://127.0.0.1:{port}/-/ready",
                                                      timeout=600)
        except VVError as exc:
            raise VVError(f"prometheus on {self.data} did not start: {exc}") from None
        self.url = f"http://127.0.0.1:{self.port}"
        return self

    def __exit__(self, *exc):
        if self.proc:
            self.proc.stop(timeout=60)


# -- raw series --------------------------------------------------------------------------
def _windows(start: float, end: float):
    t = start
    while t < end:
        edge = min(end, (math.floor(t / RAW_WINDOW_S) + 1) * RAW_WINDOW_S)
        yield t, edge
        t = edge


def _raw_blocks(series: list[Series], scrape_s: float, start: float, end: float, data: Path, promtool: str,
                work: Path) -> int:
    """Blocks of `series` from start to end; the next window's file is written while promtool reads one."""
    running: tuple[subprocess.Popen, Path] | None = None
    samples = 0

    def finish(job):
        proc, path = job
        err = proc.communicate(timeout=PROMTOOL_TIMEOUT)[1]
        path.unlink(missing_ok=True)
        if proc.returncode != 0:
            raise VVError(f"promtool create-blocks-from openmetrics failed: {err.decode(errors='replace')[-300:]}")

    for i, (a, b) in enumerate(_windows(start, end)):
        path = work / f"window-{i}.om"
        with open(path, "w", buffering=1 << 22) as out:
            samples += write_openmetrics(out, series, a, b, scrape_s, start)
            out.write("# EOF\n")
        if running:
            finish(running)
        proc = subprocess.Popen([promtool, "tsdb", "create-blocks-from", "openmetrics", "--quiet",
                                 f"--max-block-duration={RAW_WINDOW_S // 3600}h", str(path), str(data)],
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        running = (proc, path)
    if running:
        finish(running)
    return samples


# -- recording rules ----------------------------------------------------------------------
def _names(expr: str) -> set[str]:
    out = set()

    def walk(node):
        if isinstance(node, pp.VectorSelector):
            out.add(node.name or "")
        for attr in ("vector_selector", "expr", "lhs", "rhs", "param"):
            child = getattr(node, attr, None)
            if child is not None and not isinstance(child, (str, int, float)):
                walk(child)
        for arg in getattr(node, "args", None) or []:
            walk(arg)

    walk(pp.parse(expr))
    return out


INTERVAL = "_group_interval"     # carried beside a rule in record_levels; written as its group's interval


def record_levels(rule_files: list[Path], wanted: set[str] | None = None) -> list[list[dict]]:
    """Recording rules in evaluation levels: level 0 reads raw series, level n reads level n-1's records.

    wanted: the records to backfill (with the records they read); None for all.
    """
    rules = []
    for path in rule_files:
        for group in (yaml.safe_load(Path(path).read_text()) or {}).get("groups", []):
            # A group's own interval goes with its rules (a downsampling group runs every 5 m, not at
            # the backfill's default interval).
            every = {INTERVAL: group["interval"]} if group.get("interval") else {}
            rules += [{**r, **every} for r in group.get("rules", []) if "record" in r]
    recorded = {r["record"] for r in rules}
    if wanted is not None:
        keep, todo = set(), set(wanted) & recorded
        while todo:
            name = todo.pop()
            keep.add(name)
            for r in rules:
                if r["record"] == name:
                    todo |= (_names(r["expr"]) & recorded) - keep
        rules = [r for r in rules if r["record"] in keep]
        recorded = keep
    level: dict[str, int] = {}
    pending = list(rules)
    out: list[list[dict]] = []
    while pending:
        ready = [r for r in pending if not (_names(r["expr"]) & (recorded - set(level)) - {r["record"]})]
        if not ready:
            raise VVError("recording rules depend on each other in a cycle: "
                          + ", ".join(sorted({r["record"] for r in pending})))
        n = len(out)
        out.append(ready)
        pending = [r for r in pending if r not in ready]
        # a record name is complete once all its rules are in a level
        for name in {r["record"] for r in ready}:
            if not any(p["record"] == name for p in pending):
                level[name] = n
    return out


def _rule_blocks(levels, start: float, end: float, data: Path, prometheus: str, promtool: str, work: Path,
                 eval_interval: str, parallel: int = 2) -> None:
    """Each level's records backfilled against a Prometheus on the blocks so far, `parallel` promtool
    runs at a time (each with a share of the level's records)."""
    for n, rules in enumerate(levels):
        shares = [rules[i::parallel] for i in range(parallel) if rules[i::parallel]]
        jobs = []
        with Server(prometheus, data, work / f"prometheus-backfill-{n}.log") as server:
            for i, share in enumerate(shares):
                rules_file = work / f"records-{n}-{i}.yml"
                rules_file.write_text(yaml.safe_dump({"groups": _groups(share, f"backfill_{n}_{i}")}))
                out = work / f"rule-blocks-{n}-{i}"
                jobs.append((out, subprocess.Popen(
                    [promtool, "tsdb", "create-blocks-from", "rules", "--quiet", f"--url={server.url}",
                     f"--start={int(start)}", f"--end={int(end)}", f"--eval-interval={eval_interval}",
                     f"--output-dir={out}", str(rules_file)],
                    stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)))
            for _, proc in jobs:
                stdout, stderr = proc.communicate(timeout=PROMTOOL_TIMEOUT)
                if proc.returncode != 0:
                    raise VVError(f"promtool create-blocks-from rules failed: {(stderr or stdout)[-300:]}")
        for out, _ in jobs:
            for block in out.iterdir():
                if (block / "meta.json").exists():
                    shutil.move(str(block), data / block.name)


def _groups(rules: list[dict], name: str) -> list[dict]:
    """Rule groups for promtool: one per interval (promtool evaluates a group at its own interval)."""
    by_interval: dict[str, list[dict]] = {}
    for r in rules:
        by_interval.setdefault(r.get(INTERVAL, ""), []).append({k: v for k, v in r.items() if k != INTERVAL})
    return [{"name": f"{name}_{every}" if every else name, **({"interval": every} if every else {}), "rules": share}
            for every, share in by_interval.items()]


def _blocks(data: Path) -> list[tuple[int, int]]:
    out = []
    for meta in data.glob("*/meta.json"):
        try:
            m = json.loads(meta.read_text())
        except (OSError, ValueError):
            continue
        out.append((m["minTime"], m["maxTime"]))
    return sorted(out)


def _overlapping(blocks) -> bool:
    return any(b[0] < a[1] for a, b in itertools.pairwise(blocks))


def _compact(data: Path, prometheus: str, work: Path, timeout: float = 1800) -> int:
    """Let Prometheus merge the rule blocks into the raw ones (vertical compaction) and level the rest."""
    with Server(prometheus, data, work / "prometheus-compact.log") as server:
        deadline = time.monotonic() + timeout
        stable, last = 0, None
        while time.monotonic() < deadline:
            blocks = _blocks(data)
            tmp = any(p.name.endswith(".tmp") or ".tmp-" in p.name for p in data.iterdir())
            if not _overlapping(blocks) and not tmp and blocks == last:
                stable += 1
                if stable >= 3:
                    break
            else:
                stable = 0
            last = blocks
            time.sleep(10)
        else:
            raise VVError(f"{data}: compaction did not settle within {timeout:.0f}s")
        requests.get(f"{server.url}/-/ready", timeout=5)
    return len(_blocks(data))


# -- the cached data set --------------------------------------------------------------------
def _key(*parts) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()[:12]


def _shaped(series: list[Series]) -> list:
    # The series themselves are in the key: a metric added to the catalog is a new data set.
    return [(s.text, s.kind, s.rate, s.swing) for s in series]


def raw_dataset(shape: Shape, days: float, *, end: float | None = None, cache: Path | None = None, log=print) -> dict:
    """Blocks of the raw series only (no records, no containers), cached: the slow part, shared by every rule set."""
    cache = cache or project_folder.path(CACHE_DIR)
    series = fleet_series(shape)        # cAdvisor's series aside (container_layer)
    # (containers are the layer's key, not this one's: a data set with them shares these blocks)
    fields = {k: v for k, v in asdict(shape).items() if k != "containers"}
    key = f"raw-{shape.sites}sites-{days:g}d-" + _key(SERIES_VERSION, fields, days, end, _shaped(series))
    folder = cache / key
    meta_path = folder / "raw.json"
    if meta_path.exists():
        return json.loads(meta_path.read_text())
    promtool = binary("promtool", 2)
    if end is None:
        end = math.floor(time.time() / 60) * 60 - 3600
    start = end - days * 86400
    samples = _backfill_series(series, shape.scrape_s, start, end, folder, promtool, key, log)
    meta = {"key": key, "data": str(folder / "data"), "start": start, "end": end, "days": days,
            "shape": fields, "series": len(series), "series_per_site": len(series) // shape.sites,
            "raw_samples": samples}
    meta_path.write_text(json.dumps(meta, indent=2))
    return meta


def container_layer(shape: Shape, raw: dict, *, cache: Path | None = None, log=print) -> dict | None:
    """Blocks of cAdvisor's series over the raw data set's span, cached; None for a shape without containers."""
    series = fleet_container_series(shape)
    if not series:
        return None
    cache = cache or project_folder.path(CACHE_DIR)
    key = f"containers-{shape.sites}sites-{raw['days']:g}d-" + _key(SERIES_VERSION, raw["key"], _shaped(series))
    folder = cache / key
    meta_path = folder / "layer.json"
    if meta_path.exists():
        return json.loads(meta_path.read_text())
    samples = _backfill_series(series, shape.scrape_s, raw["start"], raw["end"], folder, binary("promtool", 2),
                               key, log)
    meta = {"key": key, "data": str(folder / "data"), "series": len(series), "raw_samples": samples,
            "metrics": sorted({s.name for s in series})}
    meta_path.write_text(json.dumps(meta, indent=2))
    return meta


def _backfill_series(series: list[Series], scrape_s: float, start: float, end: float, folder: Path, promtool: str,
                     key: str, log) -> int:
    shutil.rmtree(folder, ignore_errors=True)
    data = folder / "data"
    data.mkdir(parents=True)
    work = Path(tempfile.mkdtemp(prefix="vvdash-backfill-", dir=folder))
    try:
        t0 = time.monotonic()
        samples = _raw_blocks(series, scrape_s, start, end, data, promtool, work)
        log(f"backfill {key}: {samples:,} raw samples in {time.monotonic() - t0:.0f}s")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return samples


def dataset(shape: Shape, days: float, rule_files: list[Path], records: set[str] | None = None, *,
            end: float | None = None, eval_interval: str = "15s", compact: bool = True, cache: Path | None = None,
            log=print) -> dict:
    """The raw blocks plus the recording rules `records` (all when None) read, backfilled and compacted."""
    cache = cache or project_folder.path(CACHE_DIR)
    raw = raw_dataset(shape, days, end=end, cache=cache, log=log)
    layer = container_layer(shape, raw, cache=cache, log=log)
    layers = [layer["key"]] if layer else []
    levels = record_levels(rule_files, records)
    key = f"{shape.sites}sites-{days:g}d-" + _key(raw["key"], levels, eval_interval, compact, *layers)
    folder = cache / key
    meta_path = folder / "dataset.json"
    if meta_path.exists():
        return json.loads(meta_path.read_text())
    prometheus, promtool = binary("prometheus", 2), binary("promtool", 2)
    # Start from the cached data set holding most of these rules (same raw blocks and interval): only
    # the rules it lacks are backfilled. A changed rule is a different rule, so it is backfilled anew.
    wanted = [_canonical(r) for level in levels for r in level]
    base = _best_base(cache, raw["key"], eval_interval, compact, set(wanted), layer)
    have = set(base["rules"]) if base else set()
    todo = [[r for r in level if _canonical(r) not in have] for level in levels]
    todo = [level for level in todo if level]
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    data = clone(Path(base["data"] if base else raw["data"]), folder)
    if layer and layer["key"] not in (base or {}).get("layers", []):
        clone(Path(layer["data"]), folder)          # its blocks beside the others (Prometheus merges overlaps)
    work = Path(tempfile.mkdtemp(prefix="vvdash-backfill-", dir=folder))
    try:
        t1 = time.monotonic()
        _rule_blocks(todo, raw["start"], raw["end"], data, prometheus, promtool, work, eval_interval)
        log(f"backfill {key}: {sum(map(len, todo))} recording rules in {len(todo)} levels"
            + (f" on top of {base['key']} ({len(have)} rules)" if base else "") + f", {time.monotonic() - t1:.0f}s")
        if compact:
            t2 = time.monotonic()
            blocks = _compact(data, prometheus, work)
            log(f"backfill {key}: compacted to {blocks} blocks in {time.monotonic() - t2:.0f}s")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    meta = {**raw, "key": key, "raw_key": raw["key"], "layers": layers, "data": str(data),
            "records": sum(map(len, levels)),
            "series": raw["series"] + (layer["series"] if layer else 0),
            "series_per_site": (raw["series"] + (layer["series"] if layer else 0)) // shape.sites,
            "raw_samples": raw["raw_samples"] + (layer["raw_samples"] if layer else 0),
            "eval_interval": eval_interval, "compact": compact,
            "rules": wanted + sorted(have - set(wanted))}      # what the blocks hold
    meta_path.write_text(json.dumps(meta, indent=2))
    return meta


def _canonical(rule: dict) -> str:
    return json.dumps(rule, sort_keys=True)


def _best_base(cache: Path, raw_key: str, eval_interval: str, compact: bool, wanted: set[str],
               layer: dict | None = None) -> dict | None:
    """The cached data set over the same raw blocks sharing the most rules with `wanted`, and holding no
    other version of a wanted record (its samples would mix with the new ones); other records are
    harmless extra series. With a container layer, a data set without it will do as long as none of
    the wanted rules it holds reads the layer's metrics (their samples would lack the containers)."""
    names = {json.loads(r)["record"] for r in wanted}
    layers = [layer["key"]] if layer else []
    layer_metrics = set(layer["metrics"]) if layer else set()
    best = None
    for path in Path(cache).glob("*/dataset.json"):
        try:
            meta = json.loads(path.read_text())
        except (OSError, ValueError):
            continue
        rules = meta.get("rules")
        if (meta.get("raw_key") != raw_key or meta.get("eval_interval") != eval_interval
                or meta.get("compact", True) != compact or rules is None or not Path(meta["data"]).is_dir()
                or any(r not in wanted and json.loads(r)["record"] in names for r in rules)):
            continue
        held = meta.get("layers", [])
        if held != layers and (held or any(_names(json.loads(r)["expr"]) & layer_metrics
                                           for r in set(rules) & wanted)):
            continue
        if best is None or len(set(rules) & wanted) > len(set(best["rules"]) & wanted):
            best = meta
    return best


def clone(data: Path, into: Path) -> Path:
    """A hard-linked copy of a data folder, so a server may write (lock, WAL, compaction) without
    touching the cache: blocks are never modified in place, only replaced. Into a folder that has
    data already, the blocks join those there."""
    target = Path(into) / "data"
    shutil.copytree(data, target, copy_function=os.link, dirs_exist_ok=True,
                    ignore=shutil.ignore_patterns("lock", "wal", "chunks_head", "queries.active", "*.tmp*"))
    return target
