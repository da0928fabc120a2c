"""storage_exporter: bytes used and file counts per subfolder of VIDEO_STORAGE_ROOT.

A background thread walks the root every `pipeline.storage_exporter.refresh_seconds`
(os.scandir, symlinks not followed) and updates gauges; a scrape only reads them,
so scraping stays cheap however many files there are. Bytes are file sizes, the
same measure cleanup_old_files' size budget uses. Filesystem size and free space
come from node_exporter, not from here.

The `folder` label is bounded: the pipeline's folders (FOLDERS) are always exposed,
anything else at the top of the root is summed under "other".
"""

from __future__ import annotations

import logging
import os
import threading
import time
from pathlib import Path

from prometheus_client import CollectorRegistry, ProcessCollector, disable_created_metrics

from pipeline import _common, storage
from pipeline.service import setup_logging
from vvdash.catalog.instrument import instruments
from vvdash.errors import VVError

COMPONENT = "storage_exporter"
# The pipeline's folders, the service logs, the TV playlists and the log archives.
FOLDERS = (*storage.FOLDERS, "logs", "playlists", "archives")
OTHER = "other"

log = logging.getLogger(COMPONENT)


def _walk(path: str) -> tuple[int, int]:
    """(bytes, files) under `path`, not following symlinks (a link counts as nothing)."""
    total = files = 0
    stack = [path]
    while stack:
        d = stack.pop()
        try:
            with os.scandir(d) as it:
                for de in it:
                    try:
                        if de.is_dir(follow_symlinks=False):
                            stack.append(de.path)
                        elif de.is_file(follow_symlinks=False):
                            total += de.stat(follow_symlinks=False).st_size
                            files += 1
                    except FileNotFoundError:  # removed while we looked: not there any more
                        continue
        except (FileNotFoundError, NotADirectoryError, PermissionError):
            continue
    return total, files


def usage(root: Path) -> dict[str, tuple[int, int]]:
    """{folder: (bytes, files)} for every folder in FOLDERS plus OTHER."""
    out = {name: (0, 0) for name in (*FOLDERS, OTHER)}
    try:
        entries = list(os.scandir(root))
    except OSError as exc:
        raise OSError(f"cannot list {root}: {exc.strerror}") from None
    for de in entries:
        name = de.name if de.name in FOLDERS else OTHER
        if de.is_dir(follow_symlinks=False):
            size, count = _walk(de.path)
        elif de.is_file(follow_symlinks=False):
            size, count = de.stat(follow_symlinks=False).st_size, 1
        else:
            continue
        b, f = out[name]
        out[name] = (b + size, f + count)
    return out


class StorageExporter:
    def __init__(self, root: Path, refresh_seconds: float, registry: CollectorRegistry):
        self.root = Path(root)
        self.refresh = refresh_seconds
        self.m = instruments(COMPONENT, registry)
        self.last_ok: float | None = None
        self.last_error = ""
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def scan_once(self) -> None:
        started = time.monotonic()
        try:
            result = usage(self.root)
        except OSError as exc:
            self.last_error = str(exc)
            log.warning("%s", exc)
            return
        for folder, (size, count) in result.items():
            self.m["vv_storage_used_bytes"].labels(folder).set(size)
            self.m["vv_storage_files"].labels(folder).set(count)
        self.m["vv_storage_last_scan_timestamp_seconds"].set_to_current_time()
        self.last_ok = time.monotonic()
        self.last_error = ""
        log.debug("scanned %s in %.3fs", self.root, time.monotonic() - started)

    def _loop(self) -> None:
        while not self._stop.is_set():
            self.scan_once()
            self._stop.wait(self.refresh)

    def start(self) -> StorageExporter:
        self._thread = threading.Thread(target=self._loop, name="storage-scan", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(timeout=5)

    def health(self) -> tuple[bool, str]:
        if self.last_ok is None:
            return False, self.last_error or "no scan finished yet"
        age = time.monotonic() - self.last_ok
        if age > 3 * self.refresh + 5:
            return False, f"last good scan {age:.0f}s ago ({self.last_error or 'scan stalled'})"
        return True, "ok"


def main(argv: list[str] | None = None) -> int:
    p = _common.service_parser(COMPONENT, "Bytes and files per subfolder of VIDEO_STORAGE_ROOT.")
    args = p.parse_args(argv)
    setup_logging(COMPONENT)
    disable_created_metrics()
    try:
        inv = _common.load_inventory(args)
    except VVError as exc:
        log.error("%s", exc)
        return 2
    registry = CollectorRegistry()
    ProcessCollector(registry=registry)
    exporter = StorageExporter(_common.storage_root(inv, args), inv["pipeline"]["storage_exporter"]["refresh_seconds"],
                               registry)
    exporter.scan_once()  # figures before the first scrape
    exporter.start()
    http = _common.http_face(COMPONENT, inv, args, registry, health=exporter.health)
    return _common.serve_until_stopped(http, on_stop=exporter.stop)


if __name__ == "__main__":
    raise SystemExit(main())
