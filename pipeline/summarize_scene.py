"""summarize_scene: turn an analytic into a summary (summary.schema.json).

Backends: `builtin` (deterministic text from the counts; no model weights needed) and `bitnet`
(a BitNet server's OpenAI-style POST /v1/completions, as bitnet.cpp's llama.cpp server offers).
As a service it answers POST /process {"video_id": ...} with {"status": ok|failure, ...}.
"""

from __future__ import annotations

import json
import logging
import threading
import time

import requests

from pipeline import _common
from pipeline.schemas import first_error
from pipeline.service import setup_logging
from pipeline.storage import Storage

COMPONENT = "summarize_scene"
GPU_METRICS = ("vv_summarize_scene_gpu_utilization_ratio", "vv_summarize_scene_gpu_memory_used_bytes")
log = logging.getLogger(COMPONENT)


class BackendError(Exception):
    pass


# Activity levels (README "Activity levels"), from the people in view, never from motion alone:
# a tree in wind or a change of light moves pixels, not people. Calibrated on OpenCV's sample clips:
# the street (3-8 pedestrians at once) is high, a dinner scene with one or two faces is low, the tree none.
HIGH_ACTIVITY_MEAN = 2.0    # people in view on average across the samples
MOTION_TAG = 0.002          # share of the image in motion for the "motion" tag


def persons(sample: dict) -> int:
    """People in one sample: bodies, or faces when more faces than bodies are seen (a close-up)."""
    return max(sample["people"], sample["faces"])


def counts(analytic: dict) -> tuple[int, int, float]:
    """(most people in one sample, most faces in one sample, mean people per sample)."""
    samples = analytic.get("samples") or [{"people": analytic["people_max"], "faces": analytic["faces_max"]}]
    per = [persons(s) for s in samples]
    faces = max(min(s["faces"], persons(s)) for s in samples)
    return max(per), faces, sum(per) / len(per)


def activity(analytic: dict) -> str:
    most, _, mean = counts(analytic)
    if most == 0:
        return "none"
    return "high" if mean >= HIGH_ACTIVITY_MEAN else "low"


def tags(analytic: dict) -> list[str]:
    most, faces, _ = counts(analytic)
    out = []
    if most:
        out.append("people")
    if faces:
        out.append("faces")
    if analytic["motion_ratio"] >= MOTION_TAG:
        out.append("motion")
    return out or ["empty"]


def builtin_text(analytic: dict) -> str:
    most, faces, mean = counts(analytic)
    who = "no one" if most == 0 else "1 person" if most == 1 else f"up to {most} people"
    face = ("" if faces == 0 else ", facing the camera" if most == 1
            else f", {faces} of them facing the camera" if faces < most else ", all facing the camera")
    crowd = f" ({mean:.1f} on average)" if most > 1 else ""
    scenery = " (scenery moving)" if most == 0 and analytic["motion_ratio"] >= MOTION_TAG else ""
    return (f"{analytic['duration_seconds']:.0f} s of video: {who} in view{crowd}{face}; "
            f"{activity(analytic)} activity{scenery}.")


def prompt(analytic: dict) -> str:
    return ("Summarize this surveillance clip in one sentence.\n"
            f"Duration: {analytic['duration_seconds']} s. People (max in one frame): {counts(analytic)[0]}. "
            f"Faces: {counts(analytic)[1]}. Share of the image in motion: {analytic['motion_ratio']:.3f}.\n"
            "Summary:")


class BitNetClient:
    """OpenAI-style completion client for a BitNet (llama.cpp) server."""

    def __init__(self, url: str, model: str, timeout: float):
        self.url = url.rstrip("/") + "/v1/completions"
        self.model = model
        self.timeout = timeout

    def complete(self, text: str) -> str:
        body = {"model": self.model, "prompt": text, "max_tokens": 96, "temperature": 0}
        try:
            r = requests.post(self.url, json=body, timeout=self.timeout)
        except requests.Timeout:
            raise BackendError(f"{self.url}: no answer within {self.timeout:g}s") from None
        except requests.RequestException as exc:
            raise BackendError(f"{self.url}: {type(exc).__name__}") from None
        if r.status_code != 200:
            raise BackendError(f"{self.url}: HTTP {r.status_code}")
        try:
            out = r.json()["choices"][0]["text"].strip()
        except (ValueError, KeyError, IndexError, TypeError):
            raise BackendError(f"{self.url}: answer is not an OpenAI-style completion") from None
        if not out:
            raise BackendError(f"{self.url}: empty completion")
        return out[:2000]


class Summarizer:
    def __init__(self, storage: Storage, config: dict, metrics: dict):
        self.storage = storage
        self.backend = config["backend"]
        self.model_name = config["model_name"]
        self.model_version = str(config["model_version"])
        self.m = metrics
        self.client = (BitNetClient(config["bitnet_url"], self.model_name, float(config["timeout_seconds"]))
                       if self.backend == "bitnet" else None)
        self.info = self.m["vv_summarize_scene_model_loaded_info"].labels(
            backend=self.backend, model_name=self.model_name, model_version=self.model_version)
        self.info.set(1 if self.backend == "builtin" else 0)  # a remote model counts as loaded once it answers
        for status in ("success", "failure"):
            self.m["vv_summarize_scene_processed_total"].labels(status=status)
            self.m["vv_summarize_scene_inferences_total"].labels(backend=self.backend, status=status)

    def _infer(self, analytic: dict) -> str:
        started = time.perf_counter()
        try:
            text = builtin_text(analytic) if self.client is None else self.client.complete(prompt(analytic))
        except BackendError:
            self.m["vv_summarize_scene_inferences_total"].labels(backend=self.backend, status="failure").inc()
            self.info.set(0)
            raise
        self.m["vv_summarize_scene_bitnet_inference_duration_seconds"].labels(backend=self.backend).observe(
            time.perf_counter() - started)
        self.m["vv_summarize_scene_inferences_total"].labels(backend=self.backend, status="success").inc()
        self.info.set(1)
        return text

    def summarize(self, video_id: str) -> dict:
        out = self.storage.summary_path(video_id)
        if out.exists():
            return {"status": "ok", "summary": self.storage.relative(out), "cached": True}
        started = time.perf_counter()
        try:
            analytic = json.loads(self.storage.analytic_path(video_id).read_text(encoding="utf-8"))
            text = self._infer(analytic)
        except (OSError, ValueError, BackendError) as exc:
            self.m["vv_summarize_scene_processed_total"].labels(status="failure").inc()
            log.warning("%s: summary failed: %s", video_id, exc)
            return {"status": "failure", "reason": "summarizer_error", "detail": str(exc)}
        doc = {"schema": "vv.summary/1", "video_id": video_id, "video": analytic["video"],
               "backend": self.backend, "model_name": self.model_name, "model_version": self.model_version,
               "activity": activity(analytic), "people": counts(analytic)[0], "faces": counts(analytic)[1],
               "duration_seconds": analytic["duration_seconds"], "tags": tags(analytic), "text": text}
        error = first_error("summary", doc)
        if error:
            self.m["vv_summarize_scene_schema_validation_errors_total"].inc()
            self.m["vv_summarize_scene_processed_total"].labels(status="failure").inc()
            log.error("%s: summary not written: %s", video_id, error)
            return {"status": "failure", "reason": "summary_schema_invalid", "detail": error}
        self.storage.write_atomic(out, (json.dumps(doc, sort_keys=True, ensure_ascii=False) + "\n").encode())
        self.m["vv_summarize_scene_duration_seconds"].observe(time.perf_counter() - started)
        self.m["vv_summarize_scene_processed_total"].labels(status="success").inc()
        return {"status": "ok", "summary": self.storage.relative(out)}

    def handle(self, request: dict) -> dict:
        video_id = str(request.get("video_id", ""))
        if len(video_id) != 24 or not all(c in "0123456789abcdef" for c in video_id):
            return {"status": "failure", "reason": "bad_request", "detail": "video_id must be 24 hex digits"}
        return self.summarize(video_id)


def gpu_probe():
    """NVML handles when the optional nvidia-ml-py is installed and a GPU is present; else None."""
    try:
        import pynvml  # optional dependency: vvdash[gpu]
        pynvml.nvmlInit()
        count = pynvml.nvmlDeviceGetCount()
    except Exception:
        return None
    if not count:
        return None
    return pynvml, [pynvml.nvmlDeviceGetHandleByIndex(i) for i in range(count)]


def watch_gpus(probe, metrics: dict, period: float = 5.0) -> None:
    nvml, handles = probe

    def loop():
        while True:
            for i, h in enumerate(handles):
                try:
                    util = nvml.nvmlDeviceGetUtilizationRates(h).gpu / 100.0
                    mem = nvml.nvmlDeviceGetMemoryInfo(h).used
                except Exception:
                    continue
                metrics["vv_summarize_scene_gpu_utilization_ratio"].labels(gpu=str(i)).set(util)
                metrics["vv_summarize_scene_gpu_memory_used_bytes"].labels(gpu=str(i)).set(mem)
            time.sleep(period)
    threading.Thread(target=loop, name="gpu-watch", daemon=True).start()


def main(argv=None) -> int:
    args = _common.service_parser(COMPONENT, __doc__.splitlines()[0]).parse_args(argv)
    setup_logging(COMPONENT)
    inv = _common.load_inventory(args)
    storage = Storage(_common.storage_root(inv, args)).ensure()
    probe = gpu_probe()
    registry, metrics = _common.registry_for(COMPONENT, skip=() if probe else GPU_METRICS)
    if probe:
        watch_gpus(probe, metrics)
    config = inv["pipeline"]["summarizer"]
    summarizer = Summarizer(storage, config, metrics)
    log.info("backend %s, model %s %s%s", config["backend"], config["model_name"], config["model_version"],
             "" if config["backend"] == "builtin" else f" at {config['bitnet_url']}")
    return _common.serve_stage(COMPONENT, inv, args, registry, summarizer.handle)


if __name__ == "__main__":
    raise SystemExit(main())
