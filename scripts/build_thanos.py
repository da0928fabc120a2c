#!/usr/bin/env python3
"""Build the Thanos binary the fleet runs (`vvdash fleet up`) from its Go module, into .tools/thanos/.

Thanos' go.mod has replace directives, so `go install module@version` refuses it: the module
source is downloaded with `go mod download`, copied to a scratch folder and built there. Nothing
of it is committed (.tools/ is ignored). Skipped when the binary of this version is there.
A cold build (no Go build or module cache) takes about 4 minutes on two cores; `make test` runs it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

MODULE = "github.com/thanos-io/thanos"
VERSION = "v0.42.4"        # the newest whose go.mod asks no newer Go than Debian's toolchain here
TAGS = "netgo,slicelabels"
ROOT = Path(__file__).resolve().parent.parent
DEST = ROOT / ".tools" / "thanos"
BINARY = DEST / "thanos"
STAMP = DEST / "VERSION"


def main() -> int:
    if BINARY.is_file() and STAMP.is_file() and STAMP.read_text().strip() == f"{VERSION} {TAGS}":
        print(f"thanos {VERSION}: already built ({BINARY.relative_to(ROOT)})")
        return 0
    go = shutil.which("go")
    if not go:
        print("build_thanos: no `go` on PATH (apt-get install golang-go)", file=sys.stderr)
        return 2
    env = {**os.environ, "GOTOOLCHAIN": "local", "GOFLAGS": "-mod=mod"}
    started = time.monotonic()
    done = subprocess.run([go, "mod", "download", "-json", f"{MODULE}@{VERSION}"], capture_output=True,
                          text=True, env=env, cwd=tempfile.gettempdir())
    if done.returncode != 0:
        print(f"build_thanos: go mod download {MODULE}@{VERSION} failed: {done.stdout or done.stderr}".strip(),
              file=sys.stderr)
        return 2
    src = Path(json.loads(done.stdout)["Dir"])
    DEST.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="thanos-src-") as tmp:
        work = Path(tmp) / "thanos"
        shutil.copytree(src, work)
        for path in work.rglob("*"):              # the module cache is read-only
            path.chmod(path.stat().st_mode | 0o200)
        ldflags = f"-X github.com/prometheus/common/version.Version={VERSION.lstrip('v')}"
        print(f"building thanos {VERSION} from its Go module (a cold build takes a few minutes)...", flush=True)
        # The tags of Thanos' own release build (.promu.yml): its code assumes slice labels.
        done = subprocess.run([go, "build", "-trimpath", "-tags", TAGS, "-ldflags", ldflags, "-o", str(BINARY) + ".tmp",
                               "./cmd/thanos"], env=env, cwd=work)
    if done.returncode != 0:
        print(f"build_thanos: go build failed (exit {done.returncode})", file=sys.stderr)
        return 2
    os.replace(str(BINARY) + ".tmp", BINARY)
    STAMP.write_text(f"{VERSION} {TAGS}\n")
    print(f"thanos {VERSION}: built in {time.monotonic() - started:.0f}s -> {BINARY.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
