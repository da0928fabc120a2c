"""Refusing a hostile inventory: time of `python -m vvdash --inventory X build` per kind, as a
whole process (median of 3 runs): wall time, and CPU time (user + system), which a busy machine
does not inflate. Target: every refusal exit 2 within 1 s of CPU.

The worst cases for the reader: the largest file it accepts to parse (128 KiB of dense YAML),
an alias bomb, 5,000 nested brackets, a 50 MB string, a FIFO, /dev/zero.

Usage: .venv/bin/python benchmarks/bench_hostile_inventory.py [RUNS]
"""

from __future__ import annotations

import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET_SECONDS = 1.0
sys.path.insert(0, str(ROOT))

from vvdash.inventory.reading import MAX_BYTES  # noqa: E402


def _cases(folder: Path) -> dict[str, Path]:
    text = (ROOT / "vvdash.yaml").read_text()
    cases = {}

    def write(name: str, content: str) -> None:
        cases[name] = folder / f"{name}.yaml"
        cases[name].write_text(content)

    dense, i = [text, "x_dense:"], 0
    while sum(len(line) + 1 for line in dense) < MAX_BYTES - 40:
        dense.append(f"  k{i}: [a, b, {{c: d}}]")
        i += 1
    write("dense 128 KiB", "\n".join(dense) + "\n")
    bomb = "x_defs:\n  a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n" + "".join(
        f"  a{n}: &a{n} [{', '.join([f'*a{n - 1}'] * 9)}]\n" for n in range(1, 9))
    write("alias bomb", text.replace("version: 1\n", "version: 1\n" + bomb).replace(
        "folder_title: VV Video AI", "folder_title: *a8"))
    write("5000 nested [", "version: 1\nsites: " + "[" * 5000 + "]" * 5000 + "\n")
    write("50 MB string", text.replace("folder_title: VV Video AI", "folder_title: " + "A" * 50_000_000))
    write("injection", text.replace("storage_mountpoint: /", "storage_mountpoint: '/\", job!=\"x'"))
    cases["FIFO"] = folder / "fifo.yaml"
    os.mkfifo(cases["FIFO"])
    cases["/dev/zero"] = folder / "zero.yaml"
    cases["/dev/zero"].symlink_to("/dev/zero")
    return cases


def main() -> int:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    slow = []
    with tempfile.TemporaryDirectory() as tmp:
        for name, path in _cases(Path(tmp)).items():
            walls, cpus, code = [], [], None
            for _ in range(runs):
                before = resource.getrusage(resource.RUSAGE_CHILDREN)
                start = time.perf_counter()
                proc = subprocess.run([sys.executable, "-m", "vvdash", "--inventory", str(path), "build",
                                       "--out", str(Path(tmp) / "out")], cwd=ROOT, capture_output=True, text=True,
                                      timeout=120)
                walls.append(time.perf_counter() - start)
                after = resource.getrusage(resource.RUSAGE_CHILDREN)
                cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
                code = proc.returncode
            cpu = statistics.median(cpus)
            if cpu > TARGET_SECONDS or code != 2:
                slow.append(name)
            print(f"{name:16} exit {code}  cpu {cpu:.3f} s  wall {statistics.median(walls):.3f} s  "
                  f"({proc.stderr.strip().split(': ', 3)[-1][:70]})")
    print(f"target: exit 2 within {TARGET_SECONDS} s of CPU -> {'OK' if not slow else 'SLOW: ' + ', '.join(slow)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
