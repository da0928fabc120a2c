"""The inventory (vvdash.yaml): load, validate, and read values from one place.

Every error is one line: `<file>: <key path>: expected <what>, got <value>`.
"""

from __future__ import annotations

import copy
import ipaddress
import os
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import jsonschema

from vvdash import project_folder
from vvdash.errors import DefinitionError, VVError
from vvdash.inventory import fleet, grammar, overlaps, reading, safe_yaml
from vvdash.inventory.schema import SCHEMA



class Thresholds:
    """The values of one `thresholds.<area>` of the inventory; an unknown key is one line naming it."""

    def __init__(self, where: str, values: dict):
        self._where, self._values = where, values

    def __call__(self, key: str):
        try:
            return self._values[key]
        except KeyError:
            # A definition asked for it: the loader names the module in front.
            raise DefinitionError(f"{self._where}: no key {key!r} (known: {', '.join(sorted(self._values))})") from None


def key_path(parts) -> str:
    """['sites', 0, 'dvrs', 1, 'port'] -> 'sites[0].dvrs[1].port' (an odd key is quoted, shortened)."""
    out = ""
    for p in parts:
        if isinstance(p, int):
            out += f"[{p}]"
            continue
        p = p if re.fullmatch(r"[A-Za-z0-9_-]{1,64}", str(p)) else _got(p)
        out += f".{p}" if out else p
    return out or "(top level)"


def _got(value: Any) -> str:
    if isinstance(value, str):
        value = re.sub(r"//[^/@\s]*@", "//(credentials not shown)@", value)
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _holds_secret(schema) -> bool:
    """Whether a schema node is a secret or has one inside (a section given as a string
    may be the secret itself, pasted one level too high)."""
    if not isinstance(schema, dict):
        return False
    inside = [*schema.get("properties", {}).values(), *schema.get("anyOf", []), *schema.get("oneOf", [])]
    if isinstance(schema.get("items"), dict):
        inside.append(schema["items"])
    return bool(schema.get("secret")) or any(_holds_secret(node) for node in inside)


def _secret(error: jsonschema.ValidationError) -> bool:
    """Whether the failing node, a node around it or a node inside it holds a secret (never echoed)."""
    if _holds_secret(error.schema):
        return True
    node: jsonschema.exceptions._Error | None = error
    while node is not None:
        if isinstance(node.schema, dict) and node.schema.get("secret"):
            return True
        node = node.parent
    return False


def _describe(error: jsonschema.ValidationError) -> tuple[list, str]:
    """Pick the most useful (path, message) for one schema error."""
    if error.validator == "required":
        missing = re.match(r"'([^']+)'", error.message)
        name = missing.group(1) if missing else error.message
        return list(error.absolute_path) + [name], "missing required key"
    if error.validator == "additionalProperties" and isinstance(error.schema, dict):
        instance = error.instance if isinstance(error.instance, dict) else {}
        extra = sorted(set(instance) - set(error.schema.get("properties", {})))
        path = list(error.absolute_path) + extra[:1]
        allowed = ", ".join(sorted(error.schema.get("properties", {})))
        return path, f"unknown key (allowed: {allowed})"
    expected = error.schema.get("expected") if isinstance(error.schema, dict) else None
    if not expected:
        expected = error.message
    if _secret(error):
        # A secret typed inline: say where, never what.
        return list(error.absolute_path), f"expected {expected}, got an inline value (not shown)"
    got = _got(error.instance)
    if error.validator == "grammar":
        got += f" ({error.message.split(': ', 1)[1]})"
    return list(error.absolute_path), f"expected {expected}, got {got}"


class Inventory(dict):
    """The validated inventory as a dict, plus the few lookups every emitter needs."""

    def __init__(self, data: dict, path: Path):
        super().__init__(data)
        self.path = path

    @property
    def name(self) -> str:
        return self.path.name

    # -- lookups --------------------------------------------------------------
    @property
    def sites(self) -> list[dict]:
        return self["sites"]

    def site(self, name: str | None = None) -> dict:
        """The site called `name` (default: the first); an unknown name lists the known ones."""
        if not name:
            return self.sites[0]
        for site in self.sites:
            if site["name"] == name:
                return site
        known = ", ".join(s["name"] for s in self.sites)
        raise VVError(f"{self.name}: sites: no site named {name!r} (known: {known})")

    def service(self, name: str) -> dict:
        svc = dict(self["services"][name])
        svc.setdefault("address", self["services"]["bind_address"])
        svc.setdefault("enabled", True)
        return svc

    def service_url(self, name: str, path: str = "") -> str:
        svc = self.service(name)
        return f"http://{svc['address']}:{svc['port']}{path}"

    def thresholds(self, area: str) -> Thresholds:
        """The reader of `thresholds.<area>`: `t = inv.thresholds("dvr")`, then `t("disconnected_for")`."""
        values = self["thresholds"].get(area)
        if values is None:
            raise VVError(f"{self.name}: thresholds: no area {area!r} (known: {', '.join(sorted(self['thresholds']))})")
        return Thresholds(f"{self.name}: thresholds.{area}", values)

    @property
    def base_dir(self) -> Path:
        """Relative paths in the inventory (storage root, secret files) are taken from here."""
        return self.path.parent

    def secret(self, ref: dict | None, what: str) -> str:
        """resolve_secret with a relative {file: PATH} taken from the inventory's folder."""
        return resolve_secret(ref, what, self.base_dir)

    def storage_root(self, site: dict | None = None) -> Path:
        site = site or self.sites[0]
        root = Path(site["video_storage_root"])
        return root if root.is_absolute() else (self.base_dir / root)


def is_loopback(host: str | None) -> bool:
    """True for a host on this machine's loopback: localhost, 127.0.0.0/8, ::1 (a URL's .hostname)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host or "").is_loopback
    except ValueError:
        return False


def duration_seconds(text: str) -> float:
    """'1h30m' -> 5400.0 (Prometheus duration syntax; ValueError for what Prometheus refuses)."""
    ns = grammar.duration_ns(text)
    if ns is None:
        raise ValueError(f"not a Prometheus duration: {text!r}")
    return ns / 1e9


def secret_file(ref: dict, base_dir: str | Path | None = None) -> Path:
    """The file of a {file: PATH} reference; a relative PATH is taken from `base_dir` (the
    inventory file's folder, Inventory.path.parent), or the working folder when none is given."""
    path = Path(ref["file"])
    return path if path.is_absolute() or base_dir is None else Path(base_dir) / path


def resolve_secret(ref: dict | None, what: str, base_dir: str | Path | None = None) -> str:
    """Read a secret from {env: NAME} or {file: PATH} (see secret_file for a relative PATH);
    errors name the reference, never the value."""
    if not ref:
        raise VVError(f"{what}: no secret configured")
    if "env" in ref:
        value = os.environ.get(ref["env"])
        if not value:
            raise VVError(f"{what}: environment variable {ref['env']} is not set")
        return value.strip()
    return read_secret_file(secret_file(ref, base_dir), what)


def read_secret_file(path: Path, what: str) -> str:
    """The secret in a file, stripped; errors name `what` and the file, never the value."""
    try:
        value = path.read_text().strip()
    except OSError as exc:
        raise VVError(f"{what}: cannot read secret file {path}: {exc.strerror}") from None
    if not value:
        raise VVError(f"{what}: secret file {path} is empty")
    return value


def _semantic_errors(data: dict) -> list[tuple[list, str]]:
    errors: list[tuple[list, str]] = []

    def unique(items, key, where):
        seen: dict = {}
        for i, item in enumerate(items):
            val = item.get(key)
            if val in seen:
                errors.append((where + [i, key], f"duplicate {key} {val!r} (also at index {seen[val]})"))
            seen.setdefault(val, i)

    unique(data["sites"], "name", ["sites"])
    for i, site in enumerate(data["sites"]):
        unique(site["dvrs"], "name", ["sites", i, "dvrs"])
        unique(site["tvs"], "id", ["sites", i, "tvs"])
        unique(site["hosts"], "name", ["sites", i, "hosts"])
    receivers = data["alerting"]["receivers"]
    unique(receivers, "name", ["alerting", "receivers"])
    names = {r["name"] for r in receivers}
    routed = [(["alerting", "routes", sev], target) for sev, target in data["alerting"]["routes"].items()]
    routed.append((["alerting", "heartbeat", "receiver"], data["alerting"]["heartbeat"]["receiver"]))
    for where, target in routed:
        if target not in names:
            errors.append((where, f"expected one of the receivers ({', '.join(sorted(names))}), got {target!r}"))
    for i, rec in enumerate(receivers):
        where = ["alerting", "receivers", i]
        needs = {"webhook": ["url"], "slack": ["api_url", "channel"], "pagerduty": ["routing_key"],
                 "email": ["to", "from", "smarthost"]}[rec["type"]]
        for key in needs:
            if key not in rec:
                errors.append((where + [key], f"missing required key for a {rec['type']} receiver"))
        url = rec.get("url")
        if isinstance(url, str) and not is_loopback(urlparse(url).hostname):
            errors.append((where + ["url"],
                           "expected a secret reference {env: NAME} or {file: PATH} for a receiver "
                           "off this machine, got an inline URL"))
    ports: dict[int, str] = {}
    for name, svc in data["services"].items():
        if name == "bind_address" or not svc.get("enabled", True):
            continue
        if svc["port"] in ports:
            errors.append((["services", name, "port"],
                           f"port {svc['port']} is already used by {ports[svc['port']]}"))
        ports.setdefault(svc["port"], name)
    return errors + fleet.fleet_errors(data)


def _check_relations(data: dict, label: str) -> None:
    """Relationships between values (warning below critical, windows against intervals): relations.py."""
    from vvdash.inventory.relations import relationship_errors  # noqa: PLC0415  (it imports this module)

    errors = relationship_errors(data)
    if errors:
        path, message = errors[0]
        raise VVError(f"{label}: {path}: {message}")


def overlay(base: dict, over: dict) -> dict:
    """`base` with `over` laid on it, in place: mappings merged key by key, anything else (a list
    too) replaced. How a variant of an inventory says only what it changes."""
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            overlay(base[key], value)
        else:
            base[key] = copy.deepcopy(value)
    return base


def load(path: str | Path | None = None) -> Inventory:
    """Load and validate an inventory; raise VVError with one line on the first problem."""
    if path:
        path, label = Path(path), str(path)
    else:
        path = project_folder.path(project_folder.MARKER)
        label = path.name
    data = safe_yaml.load(reading.read_text(path, label), label)
    if not isinstance(data, dict):
        # Not shown: a file that is not an inventory may be a secret (--inventory secrets/hmac.key).
        kind = "nothing" if data is None else f"a {type(data).__name__}"
        raise VVError(f"{label}: (top level): expected a mapping, got {kind}")
    validator = grammar.validator(SCHEMA)
    errors = sorted(validator.iter_errors(data), key=lambda e: (len(e.absolute_path), list(map(str, e.absolute_path))))
    if errors:
        # Report the deepest error on the first failing path: it names the real culprit.
        first = max((e for e in errors if list(e.absolute_path)[:1] == list(errors[0].absolute_path)[:1]),
                    key=lambda e: (len(e.absolute_path), e.validator == "grammar"))   # a grammar says why
        parts, message = _describe(first)
        raise VVError(f"{label}: {key_path(parts)}: {message}")
    semantic = _semantic_errors(data) + overlaps.all_overlaps(data, path.resolve().parent)
    if semantic:
        parts, message = semantic[0]
        raise VVError(f"{label}: {key_path(parts)}: {message}")
    _check_relations(data, label)
    return Inventory(data, path.resolve())
