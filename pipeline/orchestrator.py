"""orchestrator: claim each video in input/, run scan -> summarize -> logline, file the result.

Crash safety (a kill -9 at any moment loses no video and duplicates no logline):
  * an input is claimed only once it is finished: still for `pipeline.input_settle_seconds` and
    open for writing by no process (pipeline/settle.py);
  * a video is claimed by moving it from input/ into processing/ (link, then unlink: one claimant,
    and a name that appears meanwhile is never replaced);
  * on start, a move cut short between link and unlink is finished (its journal record names the
    leftover link; a file merely hard-linked under two input names is two inputs), then everything
    left in processing/ is run again before new input;
  * every stage output is keyed by the video's id (original name + content, so a ~N copy of the same
    input has the same id) and a finished output is reused, so a re-run repeats work but never
    writes a second logline (created once, by link);
  * the video leaves processing/ by one move, into processed/ or corrupted/ (reason first);
  * an unexpected error sends it back to input/ with a retry delay, and to corrupted/ after
    UNEXPECTED_ATTEMPTS of them, so nothing waits unseen in processing/.
Symlinks in input/ are never followed: they are refused, logged once and left where they are.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

from pipeline import _common
from pipeline.reasons import CORRUPTED_REASONS, PERMANENT_REASONS
from pipeline.service import setup_logging
from pipeline.settle import DEFAULT_SETTLE_SECONDS, SettleWatch
from pipeline.storage import Storage, video_id

COMPONENT = "orchestrator"
STAGES = ("scan", "summarize", "logline")
SERVICE_OF_STAGE = {"scan": "scan_video", "summarize": "summarize_scene", "logline": "logline_generator"}
# Stage answers that will not get better by retrying: the input goes to corrupted/ with this reason.
PERMANENT = set(PERMANENT_REASONS)
UNEXPECTED_ATTEMPTS = 3   # unexpected errors (a bug, not a stage's answer) before an input goes to corrupted/
log = logging.getLogger(COMPONENT)


class HTTPStages:
    """Calls the stage services' POST /process."""

    def __init__(self, urls: dict[str, str], timeout: float):
        self.urls = urls
        self.timeout = timeout
        self.local = threading.local()     # one keep-alive session per worker thread

    def call(self, stage: str, request: dict) -> dict:
        url = self.urls[stage]
        session = getattr(self.local, "session", None)
        if session is None:
            session = self.local.session = requests.Session()
        try:
            r = session.post(url, json=request, timeout=self.timeout)
            answer = r.json()
        except (requests.RequestException, ValueError) as exc:
            return {"status": "failure", "reason": "stage_unreachable", "detail": f"{url}: {type(exc).__name__}"}
        if r.status_code != 200 or not isinstance(answer, dict):
            return {"status": "failure", "reason": "stage_error", "detail": f"{url}: HTTP {r.status_code}"}
        return answer


class LocalStages:
    """Runs the same stage objects in this process (vvdash pipeline process --once)."""

    def __init__(self, scanner, summarizer, writer):
        self.handlers = {"scan": scanner.handle, "summarize": summarizer.handle, "logline": writer.handle}

    def call(self, stage: str, request: dict) -> dict:
        return self.handlers[stage](request)


class Orchestrator:
    def __init__(self, storage: Storage, stages, workers: dict, metrics: dict, retry_seconds: float = 5.0,
                 settle_seconds: float = DEFAULT_SETTLE_SECONDS):
        self.storage = storage
        self.stages = stages
        self.workers = {s: max(1, int(workers.get(s, 1))) for s in STAGES}
        self.m = metrics
        self.retry_seconds = retry_seconds
        self.slots = {s: threading.BoundedSemaphore(n) for s, n in self.workers.items()}
        self.capacity = sum(self.workers.values())
        self.pool = ThreadPoolExecutor(self.capacity, thread_name_prefix="item")
        self.in_flight: set[str] = set()
        self.lock = threading.Lock()
        self.refused: set[str] = set()             # symlinks already reported
        self.retry_after: dict[str, float] = {}    # input name -> monotonic time it may be claimed again
        self.unexpected: dict[str, int] = {}       # input name -> unexpected errors it met so far
        self.counts = {"processed": 0, "corrupted": 0, "refused": 0, "retry": 0}
        self.settle = SettleWatch(settle_seconds)
        self.queued: set[str] = set()              # claimed videos not yet given a scan worker
        for s, n in self.workers.items():
            self.m["vv_pipeline_stage_workers"].labels(stage=s).set(n)
            self.m["vv_pipeline_stage_active_processors"].labels(stage=s).set(0)
        for status in ("success", "corrupted", "failure"):
            self.m["vv_videos_processed_total"].labels(status=status)
        for reason in CORRUPTED_REASONS:
            self.m["vv_videos_corrupted_total"].labels(reason=reason)
        self.refresh_gauges()

    # -- gauges ---------------------------------------------------------------
    def refresh_gauges(self) -> None:
        waiting = [p for p in self.storage.entries("input") if p.name not in self.refused]
        with self.lock:
            claimed_waiting = len(self.queued)
        self.m["vv_videos_in_input_queue"].set(len(waiting) + claimed_waiting)
        self.m["vv_files_in_corrupted"].set(len(self.storage.corrupted_videos()))

    def _count(self, what: str) -> None:
        with self.lock:
            self.counts[what] += 1

    # -- one video --------------------------------------------------------------
    def _stage(self, stage: str, request: dict, clock: dict, name: str) -> dict:
        """One stage call; the time spent waiting for the stage's worker is added to clock["wait"]."""
        active = self.m["vv_pipeline_stage_active_processors"].labels(stage=stage)
        asked = time.perf_counter()
        with self.slots[stage]:
            clock["wait"] += time.perf_counter() - asked
            if stage == "scan":
                with self.lock:
                    self.queued.discard(name)
                self.refresh_gauges()
            active.inc()
            try:
                return self.stages.call(stage, request)
            finally:
                active.dec()

    def process(self, path: Path) -> str:
        """Run one claimed video (in processing/) through the stages and file it; returns the outcome.

        Its processing duration is the wall time less the waits for stage workers, which go to the
        queue-wait histogram instead."""
        started = time.perf_counter()
        clock = {"wait": 0.0}
        try:
            vid = video_id(path)
            answer = self._stage("scan", {"video_id": vid, "path": self.storage.relative(path)}, clock, path.name)
            if answer.get("status") == "ok":
                answer = self._stage("summarize", {"video_id": vid}, clock, path.name)
            if answer.get("status") == "ok":
                answer = self._stage("logline", {"video_id": vid}, clock, path.name)
        except OSError as exc:
            answer = {"status": "failure", "reason": "io_error", "detail": f"{type(exc).__name__}: {exc}"}
        finally:
            with self.lock:
                self.queued.discard(path.name)
        if answer.get("status") == "ok":
            outcome = "success"
            dest = self.storage.move(path, "processed")
            log.info("%s: processed -> %s", path.name, self.storage.relative(dest))
        elif answer.get("status") == "corrupted" or answer.get("reason") in PERMANENT:
            outcome = "corrupted"
            reason, detail = answer.get("reason"), answer.get("detail", "")
            if reason not in CORRUPTED_REASONS:          # the label set stays bounded; the detail keeps it
                reason, detail = "unknown", f"{reason}: {detail}"
            self.corrupt(path, reason, detail)
        else:
            outcome = "failure"
            self.back_to_input(path, f"{answer.get('reason')} ({answer.get('detail', '')})")
        if outcome == "success":
            self._count("processed")
        self.m["vv_videos_processed_total"].labels(status=outcome).inc()
        self.m["vv_video_queue_wait_seconds"].observe(clock["wait"])
        self.m["vv_video_processing_duration_seconds"].labels(status=outcome).observe(
            time.perf_counter() - started - clock["wait"])
        return outcome

    def back_to_input(self, path: Path, why: str, unexpected: int = 0) -> str:
        """Return a claimed video to input/, claimable again after the retry delay; returns its name."""
        self._count("retry")
        name = self.storage.move(path, "input").name
        with self.lock:
            self.retry_after[name] = time.monotonic() + self.retry_seconds
            if unexpected:
                self.unexpected[name] = unexpected
        log.warning("%s: %s; back in input/%s, retried in %gs", path.name, why, name, self.retry_seconds)
        return name

    def corrupt(self, path: Path, reason: str, detail: str) -> None:
        def reason_first(name: str) -> None:      # under the name the file then takes: no unexplained file
            self.storage.write_reason(name, reason, detail)
        dest = self.storage.move(path, "corrupted", before=reason_first)
        self._count("corrupted")
        self.m["vv_videos_corrupted_total"].labels(reason=reason).inc()
        log.warning("%s: corrupted (%s: %s) -> corrupted/%s", path.name, reason, detail, dest.name)

    # -- claiming -----------------------------------------------------------------
    def _run(self, path: Path, unexpected: int = 0) -> None:
        try:
            self.process(path)
        except Exception as exc:
            log.exception("%s: unexpected error", path.name)
            self.unexpected_error(path, unexpected + 1, f"{type(exc).__name__}: {exc}")
        finally:
            with self.lock:
                self.in_flight.discard(path.name)
            self.refresh_gauges()

    def unexpected_error(self, path: Path, errors: int, detail: str) -> None:
        """File a video whose processing raised: back to input/ (counted in the queue again), or to
        corrupted/ once it met UNEXPECTED_ATTEMPTS errors; nothing to do if it was already filed."""
        if not os.path.lexists(path):
            return
        try:
            if errors >= UNEXPECTED_ATTEMPTS:
                self.corrupt(path, "unexpected_error", f"{errors} unexpected errors, the last: {detail}")
                outcome = "corrupted"
            else:
                self.back_to_input(path, f"unexpected error {errors} of {UNEXPECTED_ATTEMPTS} ({detail})", errors)
                outcome = "failure"
        except OSError:
            log.exception("%s: cannot be moved out of processing/; it is run again on restart", path.name)
            return
        self.m["vv_videos_processed_total"].labels(status=outcome).inc()

    def _submit(self, path: Path, unexpected: int = 0) -> None:
        with self.lock:
            self.in_flight.add(path.name)
            self.queued.add(path.name)
        self.pool.submit(self._run, path, unexpected)

    def recover(self) -> int:
        """Re-run what a previous run left in processing/; drop partial writes of dead processes."""
        self.storage.clean_tmp()
        for path in self.storage.finish_moves():
            log.info("%s: a move cut short by a crash is finished (this copy was already moved on)",
                     self.storage.relative(path))
        left = [p for p in self.storage.entries("processing") if p.name not in self.in_flight]
        if left:
            log.info("resuming %d video(s) left in processing/", len(left))
        for path in left:
            self._submit(path)
        return len(left)

    def claim_next(self, once: bool = False) -> int:
        """Claim inputs while there is capacity; returns how many were claimed."""
        claimed = 0
        now = time.monotonic()
        candidates = []
        for entry in self.storage.entries("input"):
            if entry.name in self.refused:
                continue
            if entry.is_symlink():
                self.refuse(entry)
                continue
            if self.retry_after.get(entry.name, 0) > now or (once and entry.name in self.retry_after):
                continue
            candidates.append(entry)
        for entry in self.settle.ready(candidates) if candidates else []:
            with self.lock:
                if len(self.in_flight) >= self.capacity:
                    break
            self.settle.forget(entry.name)
            try:
                target = self.storage.move(entry, "processing")   # the claim: only one claimant wins
            except FileNotFoundError:
                continue
            with self.lock:
                self.retry_after.pop(entry.name, None)
                unexpected = self.unexpected.pop(entry.name, 0)
            if not target.is_file():
                self.corrupt(target, "not_a_file", "not a regular file (a directory or a device)")
                self.m["vv_videos_processed_total"].labels(status="corrupted").inc()
                continue
            claimed += 1
            self._submit(target, unexpected)
        self.refresh_gauges()
        return claimed

    def refuse(self, entry: Path) -> None:
        self.refused.add(entry.name)
        self._count("refused")
        self.m["vv_videos_corrupted_total"].labels(reason="symlink").inc()
        target = os.readlink(entry)
        where = "outside" if not self.storage.inside(Path(os.path.join(entry.parent, target))) else "inside"
        log.warning("%s: refused: a symlink to %s (%s the storage root); never followed, left in place",
                    self.storage.relative(entry), target, where)

    def busy(self) -> bool:
        with self.lock:
            return bool(self.in_flight)

    def claimable(self) -> int:
        """Inputs that are to be claimed once finished (neither refused nor waiting for a retry)."""
        return sum(1 for e in self.storage.entries("input")
                   if e.name not in self.refused and not e.is_symlink() and e.name not in self.retry_after)

    def run_once(self, poll: float = 0.05, settle_wait: float = 60.0) -> dict:
        """Process what is in processing/ and input/ now, then return the counts.

        Inputs still being written are waited for up to `settle_wait` seconds, then left in input/."""
        self.recover()
        deadline = time.monotonic() + settle_wait
        while (self.claim_next(once=True) or self.busy()
               or (self.claimable() and time.monotonic() < deadline)):
            time.sleep(poll)
        self.refresh_gauges()
        return dict(self.counts)

    def run_forever(self, stop: threading.Event, poll: float = 0.5) -> None:
        self.recover()
        while not stop.is_set():
            self.claim_next()
            stop.wait(poll)

    def shutdown(self, wait: bool = True) -> None:
        self.pool.shutdown(wait=wait, cancel_futures=True)


def settle_seconds(inv) -> float:
    return float(inv["pipeline"].get("input_settle_seconds", DEFAULT_SETTLE_SECONDS))


def main(argv=None) -> int:
    parser = _common.service_parser(COMPONENT, __doc__.splitlines()[0])
    parser.add_argument("--poll-seconds", type=float, default=0.5)
    parser.add_argument("--retry-seconds", type=float, default=5.0)
    args = parser.parse_args(argv)
    setup_logging(COMPONENT)
    inv = _common.load_inventory(args)
    storage = Storage(_common.storage_root(inv, args)).ensure()
    registry, metrics = _common.registry_for(COMPONENT)
    timeout = float(inv["pipeline"]["summarizer"]["timeout_seconds"]) + 30
    stages = HTTPStages({s: inv.service_url(svc, "/process") for s, svc in SERVICE_OF_STAGE.items()}, timeout)
    orch = Orchestrator(storage, stages, inv["pipeline"]["workers"], metrics, args.retry_seconds,
                        settle_seconds(inv))
    http = _common.http_face(COMPONENT, inv, args, registry).start()
    log.info("watching %s (workers %s)", storage.input, orch.workers)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    orch.run_forever(stop, args.poll_seconds)
    orch.shutdown(wait=True)
    http.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
