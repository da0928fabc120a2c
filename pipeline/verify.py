"""`vvdash pipeline verify FILE...`: check each logline's HMAC; list the lines that do not check out.

Exit 0 when every line verifies, 1 when any is tampered, unsigned or not JSON, 2 when a file
cannot be read or no key is configured.
"""

from __future__ import annotations

from pipeline.signing import SignatureError, load_key, verify
from vvdash.errors import VVError
from vvdash.inventory import load


def run(args) -> int:
    key = load_key(load(getattr(args, "inventory", None)))
    good = bad = 0
    for path in args.files:
        try:
            lines = path.read_bytes().splitlines()
        except OSError as exc:
            raise VVError(f"{path}: cannot read: {exc.strerror}") from None
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                verify(line, key)
                good += 1
            except SignatureError as exc:
                bad += 1
                print(f"{path}:{number}: {exc}")
    print(f"{good} valid, {bad} tampered or invalid line(s) in {len(args.files)} file(s)")
    return 1 if bad else 0
