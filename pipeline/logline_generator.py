"""logline_generator: one HMAC-SHA256-signed logline per processed video (logline.schema.json).

Writes loglines/<video_id>.jsonl exactly once (hard-link create: a re-run after a crash finds it
and writes nothing). The key comes from the inventory's pipeline.hmac_key ({env: NAME} or
{file: PATH}); without it the service refuses to start, with one line naming the reference.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from datetime import datetime, UTC

from pipeline import _common
from pipeline.schemas import first_error
from pipeline.service import setup_logging
from pipeline.signing import SignatureError, load_key, sign, verify
from pipeline.storage import Storage
from vvdash.errors import VVError

COMPONENT = "logline_generator"
log = logging.getLogger(COMPONENT)


def utc_now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class LoglineWriter:
    def __init__(self, storage: Storage, key: bytes, metrics: dict):
        if not key:
            raise VVError("pipeline.hmac_key: empty key")
        self.storage = storage
        self.key = key
        self.m = metrics
        for status in ("success", "failure", "duplicate"):
            self.m["vv_logline_generated_total"].labels(status=status)

    def record(self, summary: dict) -> dict:
        return {"schema": "vv.logline/1", "video_id": summary["video_id"], "video": summary["video"],
                "created_at": utc_now(), "duration_seconds": summary["duration_seconds"],
                "people": summary["people"], "faces": summary["faces"], "activity": summary["activity"],
                "tags": summary["tags"], "summary": summary["text"], "backend": summary["backend"]}

    def generate(self, video_id: str) -> dict:
        out = self.storage.logline_path(video_id)
        if out.exists():
            self.m["vv_logline_generated_total"].labels(status="duplicate").inc()
            return {"status": "ok", "logline": self.storage.relative(out), "cached": True}
        started = time.perf_counter()
        try:
            summary = json.loads(self.storage.summary_path(video_id).read_text(encoding="utf-8"))
            record = self.record(summary)
        except (OSError, ValueError, KeyError) as exc:
            self.m["vv_logline_generated_total"].labels(status="failure").inc()
            return {"status": "failure", "reason": "summary_unreadable", "detail": f"{type(exc).__name__}: {exc}"}
        error = first_error("logline", record)
        if error:
            self.m["vv_logline_schema_validation_errors_total"].inc()
            self.m["vv_logline_generated_total"].labels(status="failure").inc()
            log.error("%s: logline not written: %s", video_id, error)
            return {"status": "failure", "reason": "logline_schema_invalid", "detail": error}
        try:
            line = sign(record, self.key)
            verify(line, self.key)   # what we write must check out for every reader
        except (SignatureError, TypeError, ValueError) as exc:
            self.m["vv_logline_hmac_errors_total"].inc()
            self.m["vv_logline_generated_total"].labels(status="failure").inc()
            return {"status": "failure", "reason": "hmac_error", "detail": str(exc)}
        created = self.storage.write_once(out, (line + "\n").encode("utf-8"))
        status = "success" if created else "duplicate"
        self.m["vv_logline_generated_total"].labels(status=status).inc()
        if created:
            self.m["vv_logline_generation_duration_seconds"].observe(time.perf_counter() - started)
            log.info("%s: logline written (%s)", summary["video"], summary["activity"])
        return {"status": "ok", "logline": self.storage.relative(out)}

    def handle(self, request: dict) -> dict:
        video_id = str(request.get("video_id", ""))
        if len(video_id) != 24 or not all(c in "0123456789abcdef" for c in video_id):
            return {"status": "failure", "reason": "bad_request", "detail": "video_id must be 24 hex digits"}
        return self.generate(video_id)


def main(argv=None) -> int:
    args = _common.service_parser(COMPONENT, __doc__.splitlines()[0]).parse_args(argv)
    setup_logging(COMPONENT)
    inv = _common.load_inventory(args)
    try:
        key = load_key(inv)
    except VVError as exc:
        print(f"logline_generator: cannot start: {exc}", file=sys.stderr)
        return 2
    storage = Storage(_common.storage_root(inv, args)).ensure()
    registry, metrics = _common.registry_for(COMPONENT)
    writer = LoglineWriter(storage, key, metrics)
    return _common.serve_stage(COMPONENT, inv, args, registry, writer.handle)


if __name__ == "__main__":
    raise SystemExit(main())
