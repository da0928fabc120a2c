"""`vvdash preview --screenshots DIR`: every dashboard drawn in headless Chromium, saved as
DIR/<uid>.png, one summary line each: `<uid>: N panels, D with data, K no data, E errors`."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from vvdash.preview.browser import browser_context, open_dashboard


@dataclass
class Shot:
    uid: str
    path: Path
    panels: dict
    console_errors: list[str] = field(default_factory=list)

    def count(self, state: str) -> int:
        return sum(1 for p in self.panels.values() if p["state"] == state)

    @property
    def errors(self) -> int:
        return self.count("error") + self.count("loading")

    def line(self) -> str:
        return (f"{self.uid}: {len(self.panels)} panels, {self.count('data')} with data, "
                f"{self.count('nodata')} no data, {self.errors} errors")


def take(server, out_dir: str | Path, time_from: str | None = None, progress=print) -> list[Shot]:
    """`time_from` (e.g. now-1h) replaces each dashboard's default time range."""
    query = f"?from={time_from}&to=now" if time_from else ""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    shots = []
    with browser_context() as context:
        page = context.new_page()
        console: list[str] = []
        page.on("console", lambda m: console.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: console.append(str(e)))
        for d in sorted(server.dashboards.values(), key=lambda d: d.uid):
            console.clear()
            report = open_dashboard(page, server.url + d.url + query)
            path = out / f"{d.uid}.png"
            page.screenshot(path=str(path), full_page=True)
            shot = Shot(d.uid, path, report["panels"], list(console))
            shots.append(shot)
            progress(shot.line())
            for pid, p in sorted(report["panels"].items(), key=lambda kv: int(kv[0])):
                if p["state"] in ("error", "loading"):
                    progress(f"  panel {pid} {p['title']!r} ({p['type']}): {p['message'] or p['state']}")
            for text in console:
                progress(f"  console error: {text}")
    return shots
