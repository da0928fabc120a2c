"""A build SIGKILLed anywhere in its write phase leaves generated/ entirely old or entirely new.

The kill points are the write phase's own system calls (every os.* call made while
vvdash.atomic_tree.replace_tree runs, plus the exchange itself): a driver process counts them
and sends itself SIGKILL at the N-th, for 20 random N over the whole phase.
"""

from __future__ import annotations

import random
import shutil
import signal
import subprocess
import sys

from tests.helpers import run_vvdash, tree_digest
from vvdash import atomic_tree

DRIVER = r'''
import os, signal, sys
from vvdash import atomic_tree, cli

kill_at = int(sys.argv[1])
calls = 0
active = False

def counted(func):
    def wrapper(*args, **kwargs):
        global calls
        if active:
            calls += 1
            if calls == kill_at:
                os.kill(os.getpid(), signal.SIGKILL)
        return func(*args, **kwargs)
    return wrapper

for name in ("open", "write", "fsync", "close", "rename", "replace", "rmdir", "mkdir", "chmod",
             "unlink", "scandir", "stat", "lstat", "fstat", "fchmod"):
    setattr(os, name, counted(getattr(os, name)))
atomic_tree.exchange = counted(atomic_tree.exchange)
replace_tree = atomic_tree.replace_tree

def phase(*args, **kwargs):
    global active
    active = True
    try:
        return replace_tree(*args, **kwargs)
    finally:
        active = False

atomic_tree.replace_tree = phase
code = cli.main(sys.argv[2:])
print(f"calls={calls}", file=sys.stderr)
sys.exit(code)
'''


def _driver(project, kill_at: int) -> subprocess.CompletedProcess:
    import os
    script = project / "kill_driver.py"
    script.write_text(DRIVER)
    return subprocess.run([sys.executable, str(script), str(kill_at), "build"], cwd=project,
                          env={**os.environ, "PYTHONPATH": str(project)}, capture_output=True, text=True,
                          timeout=120)


def _leftovers(project):
    return sorted(p.name for p in project.iterdir() if p.name.startswith(".generated."))


def test_sigkill_at_20_random_points_of_the_write_phase(project_copy, tmp_path):
    generated = project_copy / "generated"
    old = tree_digest(generated)
    inventory = project_copy / "vvdash.yaml"
    inventory.write_text(inventory.read_text().replace("queue_backlog: 50", "queue_backlog: 75")
                         .replace("min_people: 1", "min_people: 2"))
    new_out = tmp_path / "expected-new"
    assert run_vvdash(["build", "--out", str(new_out)], project_copy).returncode == 0
    new = tree_digest(new_out)
    assert new != old and set(new) == set(old) | set(new)
    pristine = tmp_path / "old-generated"
    shutil.copytree(generated, pristine)

    full = _driver(project_copy, 0)   # 0: never kill; count the phase's calls
    assert full.returncode == 0, full.stderr
    total = int(full.stderr.rsplit("calls=", 1)[1])
    assert total > 50, full.stderr        # every file's open/write/fsync/close, the swap, the cleanup
    assert tree_digest(generated) == new

    seed = random.randrange(10**6)
    rng = random.Random(seed)
    # One random point in each twentieth of the phase: early, mid-way, around the swap, in the cleanup.
    points = [rng.randint(total * i // 20 + 1, total * (i + 1) // 20) for i in range(20)]
    outcomes = []
    for point in points:
        shutil.rmtree(generated)
        shutil.copytree(pristine, generated)
        run = _driver(project_copy, point)
        assert run.returncode == -signal.SIGKILL, (point, run.returncode, run.stderr)
        now = tree_digest(generated)
        assert now in (old, new), f"seed {seed}: killed at call {point} of {total}: generated/ is mixed"
        outcomes.append("new" if now == new else "old")
        # What the next build does first: clear what the killed one left beside generated/.
        atomic_tree.tidy(generated)
        assert tree_digest(generated) == now
        assert _leftovers(project_copy) == [], (point, _leftovers(project_copy))
    # And a real build after the last kill finishes the job.
    again = run_vvdash(["build"], project_copy)
    assert again.returncode == 0, again.stderr
    assert tree_digest(generated) == new and _leftovers(project_copy) == []
    check = run_vvdash(["build", "--check"], project_copy)
    assert check.returncode == 0, check.stderr
    print(f"seed {seed}: {total} calls in the write phase; kill points {points}; outcomes {outcomes}")
    assert {"old", "new"} <= set(outcomes), (seed, points, outcomes)
