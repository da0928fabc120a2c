"""Headless Chromium (Debian's package) driven by Playwright, for screenshots, tests and the
benchmark. Playwright's own browser downloads are never used: it drives /usr/bin/chromium."""

from __future__ import annotations

import os
import shutil
import tempfile
from contextlib import contextmanager
from typing import TYPE_CHECKING

from vvdash.errors import VVError

if TYPE_CHECKING:
    from playwright.sync_api import ViewportSize

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
VIEWPORT: ViewportSize = {"width": 1600, "height": 1000}


def chromium_path() -> str:
    path = shutil.which("chromium") or (CHROMIUM if os.path.exists(CHROMIUM) else None)
    if not path:
        raise VVError("chromium: not found; install the Debian package chromium (apt-get install chromium, "
                      "or `make setup`)")
    return path


@contextmanager
def browser_context(viewport: ViewportSize | None = None):
    """A fresh browser (its own temporary profile folder) and context; closed on exit."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        raise VVError("playwright: not installed; run `make setup` (pip install -e '.[dev]')") from None
    executable = chromium_path()
    with tempfile.TemporaryDirectory(prefix="vvdash-chromium-") as profile, sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            profile, executable_path=executable, headless=True, args=ARGS,
            viewport=viewport or VIEWPORT, device_scale_factor=1)
        try:
            yield context
        finally:
            context.close()


def open_dashboard(page, url: str, timeout_ms: float = 60_000) -> dict:
    """Load a dashboard page and wait until every panel is drawn; the page's own report."""
    page.goto(url, wait_until="domcontentloaded", timeout=timeout_ms)
    page.wait_for_function("window.__preview && window.__preview.done === true", timeout=timeout_ms)
    return page.evaluate("window.__preview")


def wait_round(page, after: int, timeout_ms: float = 60_000) -> dict:
    """Wait for a refresh after round `after` to finish drawing (e.g. after a variable changed)."""
    page.wait_for_function(f"window.__preview.round > {after} && window.__preview.done === true", timeout=timeout_ms)
    return page.evaluate("window.__preview")
