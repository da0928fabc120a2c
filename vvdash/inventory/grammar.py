"""Value grammars of the inventory: each value checked by the rules of the place it lands in.

A schema node names its grammar (`"grammar": "duration"`); `validator()` runs the grammar's
check after the node's JSON Schema type. A check returns None when the value is fine, or a
short reason. Patterns are matched with re.fullmatch: `$` would accept a trailing newline.
"""

from __future__ import annotations

import ipaddress
import math
import re
from urllib.parse import urlsplit

import jsonschema

# prometheus/common model.ParseDuration: units in this order, each at most once; the total,
# in nanoseconds, must fit an int64 (about 292 years).
_DURATION_UNITS_NS = {"y": 365 * 86400 * 10**9, "w": 7 * 86400 * 10**9, "d": 86400 * 10**9,
                      "h": 3600 * 10**9, "m": 60 * 10**9, "s": 10**9, "ms": 10**6}
_DURATION = re.compile(r"(?:([0-9]+)y)?(?:([0-9]+)w)?(?:([0-9]+)d)?(?:([0-9]+)h)?(?:([0-9]+)m)?"
                       r"(?:([0-9]+)s)?(?:([0-9]+)ms)?")
_INT64_MAX = 2**63 - 1
# Numbers that JSON readers (Grafana, browsers) hold exactly.
NUMBER_LIMIT = 2**53

NAME = re.compile(r"[a-z][a-z0-9_-]{0,62}")
ENV_NAME = re.compile(r"[A-Z_][A-Z0-9_]{0,127}")
_HOST_LABEL = r"[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?"
_HOSTNAME = re.compile(rf"{_HOST_LABEL}(?:\.{_HOST_LABEL})*\.?")
# RFC 3986 characters of a URL, less the sub-delimiters $ ' ( ) * ! (Grafana and Compose expand
# $VAR; any character can be written %XX instead); `%` only as a %XX escape.
_URL_CHARS = re.compile(r"(?:[A-Za-z0-9\-._~:/?#\[\]@&+,;=]|%[0-9A-Fa-f]{2})*")
_URL_PATH = re.compile(r"/(?:[A-Za-z0-9\-._~&+,;=:@/]|%[0-9A-Fa-f]{2})*"
                       r"(?:\?(?:[A-Za-z0-9\-._~&+,;=:@/?]|%[0-9A-Fa-f]{2})*)?")
_EMAIL = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`|~-]{1,64}@(.+)")
# Go templates (Prometheus annotations, Alertmanager fields); $VAR, ${VAR}: Grafana provisioning
# files and Compose expand environment variables, Grafana queries expand dashboard variables.
_TEMPLATE = re.compile(r"\{\{|\}\}")
_EXPANDS = "$"
_MAX_TEXT = 256
_MAX_URL = 2048   # what browsers and chat tools reliably keep
_MAX_PATH = 4096


def _printable(text: str) -> bool:
    return text.isprintable()


def duration_ns(text: str) -> int | None:
    """Nanoseconds of a Prometheus duration, or None when Prometheus would refuse it."""
    if text == "0":
        return 0
    m = _DURATION.fullmatch(text)
    if not text or not m:
        return None
    total = 0
    for number, unit in zip(m.groups(), _DURATION_UNITS_NS, strict=True):
        if number is None:
            continue
        value = int(number)
        if value > (1 << 63) // _DURATION_UNITS_NS[unit]:
            return None
        total += value * _DURATION_UNITS_NS[unit]
        if total > _INT64_MAX:
            return None
    return total


def _duration(value, positive: bool):
    ns = duration_ns(value)
    if ns is None:
        if _DURATION.fullmatch(value.strip()) and value.strip() != value:
            return "surrounding whitespace"
        if value and _DURATION.fullmatch(value):
            return "longer than Prometheus's limit of about 292 years"
        if re.fullmatch(r"([0-9]+(ms|s|m|h|d|w|y))+", value):
            return "units out of order or repeated (largest first: y w d h m s ms)"
        return "not a duration"
    if positive and ns == 0:
        return "must be greater than 0"
    return None


def _finite(value):
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None  # the type check reports it
    if isinstance(value, float) and not math.isfinite(value):
        return "not a finite number"
    if abs(value) > NUMBER_LIMIT:
        return "larger than 2^53"
    return None


def _integral(value):
    if isinstance(value, float):
        return "not an integer"  # 8554.0 would be written as 8554.0 (a probe target …:8554.0/…)
    return _finite(value)


def check_host(value: str):
    if not isinstance(value, str):
        return None
    try:
        ipaddress.ip_address(value)
        return None
    except ValueError:
        pass
    if len(value) > 253 or not _HOSTNAME.fullmatch(value):
        return "not a host name or IP address"
    return None


def _host_port(value: str):
    m = re.fullmatch(r"\[([0-9A-Fa-f:.]+)\]:([0-9]{1,5})|([^:\[\]]+):([0-9]{1,5})", value)
    if not m:
        return "not host:port"
    host, port = (m.group(1), m.group(2)) if m.group(1) else (m.group(3), m.group(4))
    if check_host(host) or not 1 <= int(port) <= 65535:
        return "not host:port"
    return None


def check_url(value: str, base: bool = False):
    """An http(s) URL with a valid host (and port); `base`: no query or fragment (paths are appended)."""
    if not isinstance(value, str):
        return None
    if len(value) > _MAX_URL:
        return f"longer than {_MAX_URL} characters"
    if not _URL_CHARS.fullmatch(value):
        return "characters a URL cannot hold (quotes, braces, spaces, control characters)"
    try:
        parts = urlsplit(value)
        port = parts.port
    except ValueError:
        return "not a valid URL"
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return "not an http(s) URL"
    if "@" in parts.netloc:
        return "credentials in a URL belong in a secret reference"
    host = parts.hostname or ""
    if not host or check_host(host):
        return "no valid host"
    if port == 0:
        return "port 0"
    if base and (parts.query or parts.fragment or value.endswith(("?", "#"))):
        return "a query or fragment (paths are appended to this URL)"
    if parts.fragment or "#" in value:
        return "a fragment"
    return None


def _text(value: str):
    if not isinstance(value, str):
        return None
    if len(value) > _MAX_TEXT:
        return f"longer than {_MAX_TEXT} characters"
    if not _printable(value):
        return "control characters"
    if _TEMPLATE.search(value):
        return "template braces {{ or }}"
    if _EXPANDS in value:
        return "a $ (it would expand a variable)"
    return None


def _path(value: str):
    if not isinstance(value, str):
        return None
    if not value or len(value) > _MAX_PATH:
        return f"empty or longer than {_MAX_PATH} characters"
    if not _printable(value):
        return "control characters"
    if _EXPANDS in value:
        return "a $ (it would expand a variable)"
    return None


def _mountpoint(value: str):
    """Lands in PromQL string literals and Grafana queries: refuse what could end or expand one."""
    problem = _path(value)
    if problem:
        return problem
    if not value.startswith("/"):
        return "not absolute"
    bad = sorted(set(value) & set('"\\`{}$'))
    if bad:
        return "characters " + " ".join(bad) + " (they would end or expand a query string)"
    return None


def _emails(value: str):
    if not isinstance(value, str):
        return None
    if _text(value):
        return _text(value)
    for address in value.split(","):
        m = _EMAIL.fullmatch(address.strip())
        if not m or check_host(m.group(1)):
            return "not an email address"
    return None


def _fullmatch(pattern: re.Pattern, what: str):
    def check(value):
        if isinstance(value, str) and not pattern.fullmatch(value):
            return what
        return None
    return check


GRAMMARS = {
    "duration": lambda v: _duration(v, positive=True) if isinstance(v, str) else None,
    "duration_or_zero": lambda v: _duration(v, positive=False) if isinstance(v, str) else None,
    "finite": _finite,
    "integral": _integral,
    "name": _fullmatch(NAME, "not a lowercase name"),
    "env_name": _fullmatch(ENV_NAME, "not an environment variable name"),
    "host": check_host,
    "host_port": lambda v: _host_port(v) if isinstance(v, str) else None,
    "url": check_url,
    "base_url": lambda v: check_url(v, base=True),
    "url_path": lambda v: (None if not isinstance(v, str) or (len(v) <= 1024 and _URL_PATH.fullmatch(v))
                           else "not a URL path"),
    "text": _text,
    "path": _path,
    "mountpoint": _mountpoint,
    "emails": _emails,
}


def _grammar(validator, name, instance, schema):
    problem = GRAMMARS[name](instance)
    if problem:
        yield jsonschema.ValidationError(f"{name}: {problem}")


def _is_integer(_checker, value) -> bool:
    # JSON Schema counts 8554.0 as an integer; it would be written as 8554.0 where it lands.
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(_checker, value) -> bool:
    # Every number of the inventory lands in PromQL or JSON, where inf and nan are not numbers.
    return (isinstance(value, (int, float)) and not isinstance(value, bool)
            and (isinstance(value, int) or math.isfinite(value)))


_TYPES = jsonschema.Draft202012Validator.TYPE_CHECKER.redefine_many(
    {"integer": _is_integer, "number": _is_number})
_VALIDATOR = jsonschema.validators.extend(jsonschema.Draft202012Validator, {"grammar": _grammar},
                                          type_checker=_TYPES)


def validator(schema: dict) -> jsonschema.protocols.Validator:
    """A Draft 2020-12 validator with strict integer and number types that also runs each
    node's `grammar` (so a node added without one still refuses 8554.0 as an integer and inf)."""
    return _VALIDATOR(schema)
