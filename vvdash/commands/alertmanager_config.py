"""`vvdash alertmanager-config --out DIR`: the config a running Alertmanager reads, secrets included.

Alertmanager 0.25 has no url_file for webhooks, so a webhook URL kept secret can reach it only
inside the config file. This writes that private runtime copy (alertmanager.write_runtime) into
DIR; the compose stack runs it once at start, before Alertmanager. A receiver secret {env: NAME}
comes from the environment or, when unset there, from the file NAME in --secrets-dir (where
compose mounts its secrets).
"""

from __future__ import annotations

import os
from pathlib import Path

from vvdash.errors import VVError


def register(sub):
    p = sub.add_parser("alertmanager-config", help="write Alertmanager's runtime config, with its secrets, into DIR",
                       description="Render the Alertmanager config from the inventory with every receiver secret "
                                   "resolved (files mode 0600). Exit 0 written, 2 a secret or the inventory is "
                                   "missing.")
    p.add_argument("--out", metavar="DIR", type=Path, required=True, help="folder Alertmanager reads its config from")
    p.add_argument("--secrets-dir", metavar="DIR", type=Path, default=Path("/run/secrets"),
                   help="where to look for a secret NAME not set in the environment (default: /run/secrets)")
    p.add_argument("--owner", metavar="UID:GID", help="hand the written files to this user (Alertmanager's)")
    p.set_defaults(func=run)


def run(args) -> int:
    from vvdash.emit.alertmanager import SECRETS_DIR, receiver_secrets, write_runtime
    from vvdash.emit.alertmanager_templates import TEMPLATES_DIR
    from vvdash.inventory import load

    owner = _parse_owner(args.owner) if args.owner else None
    inv = load(args.inventory)
    names = []
    for rec in inv["alerting"]["receivers"]:
        for key, ref in receiver_secrets(rec).items():
            if "env" in ref:
                _env_from_file(ref["env"], args.secrets_dir, f"alerting.receivers[{rec['name']}].{key}")
                names.append(ref["env"])
    path = write_runtime(inv, args.out)
    secrets = args.out / SECRETS_DIR
    for stale in sorted(secrets.iterdir()) if secrets.is_dir() else []:
        if stale.name not in names:     # a receiver removed since the last run leaves no secret behind
            stale.unlink()
    templates = args.out / TEMPLATES_DIR
    if owner:
        for target in [args.out, path, *([secrets, *secrets.iterdir()] if secrets.is_dir() else []),
                       *([templates, *templates.iterdir()] if templates.is_dir() else [])]:
            try:
                os.chown(target, *owner)
            except OSError as exc:
                raise VVError(f"--owner {args.owner}: cannot hand {target} over: {exc.strerror}") from None
    print(f"wrote {path}")
    return 0


def _env_from_file(name: str, secrets_dir: Path, where: str) -> None:
    """Only this process's environment gets the value; it never reaches argv or a log."""
    if os.environ.get(name):
        return
    path = secrets_dir / name
    try:
        value = path.read_text().strip()
    except FileNotFoundError:
        raise VVError(f"{where}: secret {name} is neither in the environment nor in {secrets_dir}/") from None
    except OSError as exc:
        raise VVError(f"{where}: cannot read secret file {path}: {exc.strerror}") from None
    if not value:
        raise VVError(f"{where}: secret file {path} is empty")
    os.environ[name] = value


def _parse_owner(text: str) -> tuple[int, int]:
    uid, sep, gid = text.partition(":")
    if not (sep and uid.isdigit() and gid.isdigit()):
        raise VVError(f"--owner {text!r}: expected numeric UID:GID")
    return int(uid), int(gid)
