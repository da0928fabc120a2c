"""tv_scheduler: one playlist per TV, built from the signed loglines, on a period.

Every `pipeline.tv_scheduler.period_seconds` (and on POST /run) it reads
<root>/loglines/*.jsonl and verifies each line's HMAC-SHA256 signature
(pipeline.signing). A line that is unsigned, tampered or not a valid logline is
skipped and counted in vv_tv_scheduler_loglines_rejected_total{reason}; it never
reaches a playlist. Logline files are written once, so each file is read again
only when its size, mtime or inode changes.

Selection policy, per TV of the site (inventory `sites[].tvs`):
  - only loglines whose video is still in processed/,
  - created within the last `max_age_hours` (no limit when unset),
  - at least `min_people` people (default 0), and faces > 0 when `require_faces`,
  - newest first (created_at, then video id), at most `max_items` (default 50).
Each playlist is written atomically (temporary file, fsync, rename) as
<root>/playlists/<tv_id>.m3u (paths relative to the playlist) and <tv_id>.json.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, UTC
from pathlib import Path

from prometheus_client import CollectorRegistry, ProcessCollector, disable_created_metrics

from pipeline import _common
from pipeline.schemas import first_error
from pipeline.service import json_response, setup_logging
from pipeline.signing import SignatureError, load_key, verify
from pipeline.storage import Storage
from vvdash.catalog.instrument import instruments
from vvdash.errors import VVError

COMPONENT = "tv_scheduler"
PLAYLISTS = "playlists"
DEFAULT_MAX_ITEMS = 50
REASONS = ("unsigned", "tampered", "invalid")

log = logging.getLogger(COMPONENT)


def rejection_reason(error: SignatureError) -> str:
    text = str(error)
    if text.startswith("unsigned"):
        return "unsigned"
    if text.startswith("signature mismatch"):
        return "tampered"
    return "invalid"


def parse_time(text: str) -> datetime:
    return datetime.fromisoformat(text)  # schema: UTC with a Z suffix


@dataclass(frozen=True)
class Item:
    video_id: str
    video: str
    created_at: datetime
    duration_seconds: float
    people: int
    faces: int
    activity: str
    summary: str


def select(items: list[Item], tv: dict, now: datetime) -> list[Item]:
    """The documented policy: age, people, faces filters; newest first; at most max_items."""
    chosen = []
    for it in items:
        if "max_age_hours" in tv and now - it.created_at > timedelta(hours=tv["max_age_hours"]):
            continue
        if it.people < tv.get("min_people", 0):
            continue
        if tv.get("require_faces") and it.faces == 0:
            continue
        chosen.append(it)
    chosen.sort(key=lambda it: (it.created_at, it.video_id), reverse=True)
    return chosen[: tv.get("max_items", DEFAULT_MAX_ITEMS)]


def render_m3u(items: list[Item]) -> bytes:
    lines = ["#EXTM3U"]
    for it in items:
        title = " ".join(it.summary.split())  # one line per entry, whatever the summary holds
        lines.append(f"#EXTINF:{round(it.duration_seconds)},{title}")
        lines.append(f"../processed/{it.video}")
    return ("\n".join(lines) + "\n").encode("utf-8")


def render_json(tv_id: str, items: list[Item], now: datetime) -> bytes:
    doc = {
        "tv_id": tv_id,
        "generated_at": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "items": [{"video_id": it.video_id, "path": f"processed/{it.video}",
                   "created_at": it.created_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
                   "duration_seconds": it.duration_seconds, "people": it.people, "faces": it.faces,
                   "activity": it.activity, "summary": it.summary} for it in items],
    }
    return (json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode("utf-8")


class Scheduler:
    def __init__(self, storage: Storage, tvs: list[dict], key: bytes, registry: CollectorRegistry):
        self.storage = storage
        self.tvs = tvs
        self.key = key
        self.m = instruments(COMPONENT, registry)
        # (size, mtime_ns, inode) and the verified items of each logline file already read.
        self._seen: dict[str, tuple[tuple[int, int, int], list[Item]]] = {}
        self._lock = threading.Lock()
        self.last_ok: bool | None = None
        for tv in tvs:
            for status in ("success", "failure"):
                self.m["vv_tv_scheduler_playlists_generated_total"].labels(tv["id"], status)
            self.m["vv_tv_scheduler_generation_duration_seconds"].labels(tv["id"])
        for reason in REASONS:
            self.m["vv_tv_scheduler_loglines_rejected_total"].labels(reason)

    def _read_file(self, path: Path) -> list[Item]:
        items = []
        with open(path, "rb") as fh:
            for raw in fh:
                if not raw.strip():
                    continue
                self.m["vv_tv_scheduler_loglines_processed_total"].inc()
                try:
                    record = verify(raw, self.key)
                except SignatureError as exc:
                    reason = rejection_reason(exc)
                    self.m["vv_tv_scheduler_loglines_rejected_total"].labels(reason).inc()
                    log.warning("%s: line skipped: %s", self.storage.relative(path), exc)
                    continue
                error = first_error("logline", record)
                if error:
                    self.m["vv_tv_scheduler_loglines_rejected_total"].labels("invalid").inc()
                    log.warning("%s: line skipped: %s", self.storage.relative(path), error)
                    continue
                items.append(Item(record["video_id"], record["video"], parse_time(record["created_at"]),
                                  record["duration_seconds"], record["people"], record["faces"],
                                  record["activity"], record["summary"]))
        return items

    def loglines(self) -> list[Item]:
        items: list[Item] = []
        current = {}
        for path in self.storage.logline_files():
            try:
                st = path.stat()
            except FileNotFoundError:
                continue
            stamp = (st.st_size, st.st_mtime_ns, st.st_ino)
            seen = self._seen.get(path.name)
            if seen is None or seen[0] != stamp:
                try:
                    seen = (stamp, self._read_file(path))
                except OSError as exc:
                    log.warning("%s: unreadable: %s", path.name, exc.strerror)
                    continue
            current[path.name] = seen
            items.extend(seen[1])
        self._seen = current  # files cleaned away are forgotten
        return items

    def _write(self, tv_id: str, items: list[Item], now: datetime) -> None:
        folder = self.storage.root / PLAYLISTS
        folder.mkdir(exist_ok=True)
        self.storage.write_atomic(folder / f"{tv_id}.json", render_json(tv_id, items, now))
        self.storage.write_atomic(folder / f"{tv_id}.m3u", render_m3u(items))

    def playable(self, it: Item) -> bool:
        """The video is a plain file directly in processed/ (cleanup may have removed it)."""
        if "/" in it.video or it.video in (".", ".."):
            return False
        path = self.storage.processed / it.video
        return not path.is_symlink() and path.is_file()

    def run_once(self, now: datetime | None = None) -> dict:
        with self._lock:
            now = now or datetime.now(UTC)
            self.m["vv_tv_scheduler_runs_total"].inc()
            items = [it for it in self.loglines() if self.playable(it)]
            report = {}
            ok = True
            for tv in self.tvs:
                started = time.perf_counter()
                try:
                    chosen = select(items, tv, now)
                    self._write(tv["id"], chosen, now)
                    status = "success"
                    report[tv["id"]] = len(chosen)
                except Exception as exc:
                    log.error("%s: playlist not written: %s: %s", tv["id"], type(exc).__name__, exc)
                    status = "failure"
                    report[tv["id"]] = None
                    ok = False
                self.m["vv_tv_scheduler_generation_duration_seconds"].labels(tv["id"]).observe(
                    time.perf_counter() - started)
                self.m["vv_tv_scheduler_playlists_generated_total"].labels(tv["id"], status).inc()
            if ok:
                self.m["vv_tv_scheduler_last_success_timestamp_seconds"].set_to_current_time()
            self.last_ok = ok
            return {"status": "success" if ok else "failure", "playlists": report}

    def health(self) -> tuple[bool, str]:
        if self.last_ok is False:
            return False, "last run failed to write a playlist"
        return True, "ok"


class Loop:
    """Runs the scheduler every `period` seconds in a thread until stopped."""

    def __init__(self, scheduler: Scheduler, period: float):
        self.scheduler = scheduler
        self.period = period
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="tv-scheduler", daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                log.info("run: %s", self.scheduler.run_once())
            except Exception:  # a bad run shows in its playlists' failure counts; the loop goes on
                log.exception("run failed")
            self._stop.wait(self.period)

    def start(self) -> Loop:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)


def main(argv: list[str] | None = None) -> int:
    p = _common.service_parser("tv_scheduler", "Playlists per TV from the signed loglines.")
    args = p.parse_args(argv)
    setup_logging(COMPONENT)
    disable_created_metrics()
    try:
        inv = _common.load_inventory(args)
        site = _common.site(inv, args)
        key = load_key(inv)
    except VVError as exc:
        log.error("%s", exc)
        return 2
    storage = Storage(args.storage_root or inv.storage_root(site))
    registry = CollectorRegistry()
    ProcessCollector(registry=registry)
    scheduler = Scheduler(storage, site["tvs"], key, registry)
    http = _common.http_face(COMPONENT, inv, args, registry, health=scheduler.health,
                             routes={("POST", "/run"): lambda body, query: json_response(200, scheduler.run_once())})
    loop = Loop(scheduler, inv["pipeline"]["tv_scheduler"]["period_seconds"]).start()
    return _common.serve_until_stopped(http, on_stop=loop.stop)


if __name__ == "__main__":
    raise SystemExit(main())
