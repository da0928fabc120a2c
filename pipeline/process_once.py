"""`vvdash pipeline process --once --storage-root DIR`: process DIR/input in this process and report.

The stages run in-process through the same code the services use (no HTTP). Corrupt inputs are
filed in corrupted/ with a reason and counted; they do not make the command fail.
"""

from __future__ import annotations

import json
import logging
import sys
import time

from pipeline import _common, native_log
from pipeline.logline_generator import LoglineWriter
from pipeline.orchestrator import LocalStages, Orchestrator, settle_seconds
from pipeline.scan_video import Scanner, init_metrics
from pipeline.service import setup_logging
from pipeline.signing import load_key
from pipeline.storage import REASON_SUFFIX, Storage
from pipeline.summarize_scene import GPU_METRICS, Summarizer
from vvdash.errors import VVError
from vvdash.inventory import load


def build(inv, storage: Storage):
    """The orchestrator wired to in-process stages, each with its own registry (as the services have)."""
    registries = {}
    metrics = {}
    for component in ("scan_video", "summarize_scene", "logline_generator", "orchestrator"):
        skip = GPU_METRICS if component == "summarize_scene" else ()   # a one-shot run samples no GPU
        registries[component], metrics[component] = _common.registry_for(component, skip=skip, process=False)
    init_metrics(metrics["scan_video"])
    pipeline_cfg = inv["pipeline"]
    stages = LocalStages(
        Scanner(storage, float(pipeline_cfg["sample_fps"]), metrics["scan_video"]),
        Summarizer(storage, pipeline_cfg["summarizer"], metrics["summarize_scene"]),
        LoglineWriter(storage, load_key(inv), metrics["logline_generator"]),
    )
    orch = Orchestrator(storage, stages, pipeline_cfg["workers"], metrics["orchestrator"],
                        settle_seconds=settle_seconds(inv))
    return orch, registries


def run(args) -> int:
    setup_logging("pipeline")
    native_log.capture(logging.getLogger("scan_video"))
    inv = load(getattr(args, "inventory", None))
    root = args.storage_root
    if not root.is_dir():
        raise VVError(f"{root}: storage root is not a directory")
    storage = Storage(root).ensure()
    started = time.monotonic()
    orch, _ = build(inv, storage)
    try:
        counts = orch.run_once()
    finally:
        orch.shutdown()
    left = len(storage.entries("input"))
    print(f"processed {counts['processed']}, corrupted {counts['corrupted']}, refused {counts['refused']}, "
          f"left for retry {counts['retry']}, still in input/ {left} ({time.monotonic() - started:.1f}s)")
    for reason_file in sorted(storage.corrupted.glob(f"*{REASON_SUFFIX}")):
        try:
            doc = json.loads(reason_file.read_text(encoding="utf-8"))
            print(f"  corrupted/{doc['file']}: {doc['reason']} ({doc['detail']})")
        except (OSError, ValueError, KeyError):
            continue
    sys.stdout.flush()
    return 0
