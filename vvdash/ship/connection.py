"""Where the Grafana URL, credential, TLS settings and timeouts come from.

URL:        --grafana-url, else $VVDASH_GRAFANA_URL, else inventory grafana.url.
Credential: --token-file, else --username with --password-file, else $VVDASH_GRAFANA_TOKEN, else inventory
            grafana.token ({env}/{file}), else inventory grafana.username + grafana.password.
A secret is never taken from the command line, and no message or repr shows it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from vvdash.errors import VVError
from vvdash.inventory import is_loopback, read_secret_file, resolve_secret

ENV_URL = "VVDASH_GRAFANA_URL"
ENV_TOKEN = "VVDASH_GRAFANA_TOKEN"
DEFAULT_TIMEOUT = 10.0
DEFAULT_RETRIES = 2
DEFAULT_BACKOFF = 0.5


class Credential:
    """A bearer token or a basic-auth pair; `source` says where it came from, the value stays hidden."""

    def __init__(self, kind: str, source: str, secret: str, username: str = ""):
        self.kind, self.source, self.username = kind, source, username
        self._secret = secret

    def apply(self, session) -> None:
        if self.kind == "token":
            session.headers["Authorization"] = f"Bearer {self._secret}"
        else:
            session.auth = (self.username, self._secret)

    def __repr__(self) -> str:
        who = f" {self.username}" if self.username else ""
        return f"<Credential {self.kind}{who} from {self.source}>"

    __str__ = __repr__


@dataclass(frozen=True)
class Connection:
    url: str                      # no trailing slash; may carry a sub-path (Grafana behind a proxy)
    credential: Credential
    verify: bool | str = True     # True: system CAs; a path: that CA bundle
    timeout: float = DEFAULT_TIMEOUT
    retries: int = DEFAULT_RETRIES
    backoff: float = DEFAULT_BACKOFF
    warnings: tuple[str, ...] = field(default=())


def add_arguments(parser) -> None:
    g = parser.add_argument_group("Grafana connection")
    g.add_argument("--grafana-url", metavar="URL",
                   help=f"Grafana base URL (default: ${ENV_URL}, else grafana.url in the inventory)")
    g.add_argument("--token-file", metavar="FILE", type=Path,
                   help=f"file holding a service-account token (default: ${ENV_TOKEN}, else grafana.token)")
    g.add_argument("--username", metavar="NAME", help="basic auth user (with --password-file)")
    g.add_argument("--password-file", metavar="FILE", type=Path, help="file holding the basic auth password")
    g.add_argument("--ca-bundle", metavar="FILE", type=Path,
                   help="CA certificates to verify Grafana's TLS certificate (default: grafana.ca_bundle, "
                        "else the system store); verification is always on")
    g.add_argument("--timeout", metavar="SECONDS", type=float, default=DEFAULT_TIMEOUT,
                   help=f"connect and read timeout per request (default: {DEFAULT_TIMEOUT:g})")
    g.add_argument("--retries", metavar="N", type=int, default=DEFAULT_RETRIES,
                   help=f"retries after a 5xx, timeout or refused connection (default: {DEFAULT_RETRIES})")
    g.add_argument("--retry-backoff", metavar="SECONDS", type=float, default=DEFAULT_BACKOFF,
                   help=f"first wait between retries, doubled each time (default: {DEFAULT_BACKOFF:g})")


def check_url(url: str, source: str) -> str:
    """A usable base URL, or a one-line error naming where it came from."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        parts, port = None, None
    if parts is not None and (parts.username or parts.password):
        # Do not echo it: the URL carries a credential.
        raise VVError(f"{source}: a Grafana URL must not contain credentials; "
                      f"use a token (${ENV_TOKEN} or --token-file) or --username/--password-file")
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname or port == 0:
        raise VVError(f"{source}: expected an http(s) URL such as https://grafana.example.com:3000, got {url!r}")
    if parts.query or parts.fragment:
        raise VVError(f"{source}: expected a base URL without query or fragment, got {url!r}")
    return url.strip().rstrip("/")


def _credential(args, grafana: dict, base_dir: Path | None) -> Credential:
    if args.token_file:
        token = read_secret_file(args.token_file, "--token-file")
        return Credential("token", f"--token-file {args.token_file}", token)
    if args.username or args.password_file:
        if not (args.username and args.password_file):
            raise VVError("--username and --password-file go together (basic auth)")
        password = read_secret_file(args.password_file, "--password-file")
        return Credential("basic", f"--password-file {args.password_file}", password, args.username)
    if os.environ.get(ENV_TOKEN, "").strip():
        return Credential("token", f"${ENV_TOKEN}", os.environ[ENV_TOKEN].strip())
    problem = None
    if grafana.get("token"):
        ref = grafana["token"]
        where = f"grafana.token ({'$' + ref['env'] if 'env' in ref else ref['file']})"
        try:
            return Credential("token", where, resolve_secret(ref, "grafana.token", base_dir))
        except VVError as exc:
            problem = str(exc)
    if grafana.get("username") and grafana.get("password"):
        password = resolve_secret(grafana["password"], "grafana.password", base_dir)
        return Credential("basic", "grafana.password", password, grafana["username"])
    hint = (f"set ${ENV_TOKEN}, pass --token-file FILE, or configure grafana.token or "
            f"grafana.username + grafana.password in the inventory")
    raise VVError(f"no Grafana credential: {problem}; {hint}" if problem else f"no Grafana credential: {hint}")


def resolve(args, inventory: dict) -> Connection:
    """The connection for this run; VVError (exit 2) when it cannot be made."""
    grafana = inventory.get("grafana") or {}
    if args.grafana_url:
        url = check_url(args.grafana_url, "--grafana-url")
    elif os.environ.get(ENV_URL, "").strip():
        url = check_url(os.environ[ENV_URL], f"${ENV_URL}")
    elif grafana.get("url"):
        url = check_url(grafana["url"], "grafana.url")
    else:
        raise VVError(f"no Grafana URL: pass --grafana-url, set ${ENV_URL} or set grafana.url in the inventory")
    if args.timeout is None or args.timeout <= 0:
        raise VVError(f"--timeout: expected a positive number of seconds, got {args.timeout}")
    if not 0 <= args.retries <= 10:
        raise VVError(f"--retries: expected 0 to 10, got {args.retries}")
    if args.retry_backoff < 0:
        raise VVError(f"--retry-backoff: expected seconds >= 0, got {args.retry_backoff}")
    verify: bool | str = True
    ca = args.ca_bundle or grafana.get("ca_bundle")
    if ca:
        source = "--ca-bundle" if args.ca_bundle else "grafana.ca_bundle"
        if not Path(ca).is_file():
            raise VVError(f"{source}: CA bundle {ca} not found")
        verify = str(ca)
    # A relative {file: PATH} is read from the inventory's folder, like every inventory path.
    credential = _credential(args, grafana, getattr(inventory, "base_dir", None))
    warnings = []
    parts = urlsplit(url)
    if parts.scheme == "http" and not is_loopback(parts.hostname):
        warnings.append(f"warning: {url} is plain HTTP; the credential crosses the network unencrypted")
    return Connection(url, credential, verify, args.timeout, args.retries, args.retry_backoff, tuple(warnings))
