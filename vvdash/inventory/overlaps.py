"""Things two parts of an inventory cannot share: a port on one machine, a DVR address, a storage root.

Each check returns (key path, message) pairs; the loader reports the first.
"""

from __future__ import annotations

import ipaddress
import os
from pathlib import Path

# The DVR simulator is what a local DVR entry points at: sharing its port is the point.
_DVR_STAND_IN = "dvr_simulator"
_WILDCARD = {"0.0.0.0", "::", ""}


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _same_machine(a: str, b: str) -> bool:
    """Whether two listen/connect addresses can reach one socket (a wildcard bind takes every address)."""
    a, b = a.lower().rstrip("."), b.lower().rstrip(".")
    return a == b or a in _WILDCARD or b in _WILDCARD or (_loopback(a) and _loopback(b))


def _service_ports(data: dict):
    services = data["services"]
    for name, svc in services.items():
        if name == "bind_address" or not svc.get("enabled", True):
            continue
        yield name, svc.get("address", services["bind_address"]), svc["port"]


def dvr_ports(data: dict) -> list[tuple[list, str]]:
    """A DVR on a service's port of the same machine, and two DVRs on one address and port."""
    errors: list[tuple[list, str]] = []
    services = [s for s in _service_ports(data) if s[0] != _DVR_STAND_IN]
    for i, site in enumerate(data["sites"]):
        machines = {h["address"] for h in site["hosts"]}
        seen: dict[tuple[str, int], str] = {}
        for j, dvr in enumerate(site["dvrs"]):
            where = ["sites", i, "dvrs", j, "port"]
            address, port = dvr["address"], dvr["port"]
            for name, svc_address, svc_port in services:
                on_a_host = any(_same_machine(address, m) for m in machines)
                if port == svc_port and (_same_machine(address, svc_address) or on_a_host):
                    errors.append((where, f"port {port} on {address} is also services.{name}.port"))
            ident = (address.lower().rstrip("."), port)
            if ident in seen:
                errors.append((where, f"{address}:{port} is also the address of DVR {seen[ident]}"))
            seen.setdefault(ident, dvr["name"])
    return errors


def _resolved(root: str, base_dir: Path) -> Path:
    path = Path(root)
    path = path if path.is_absolute() else base_dir / path
    return Path(os.path.normpath(os.path.realpath(path)))


def _share_a_machine(a: dict, b: dict) -> bool:
    return any(_same_machine(x["address"], y["address"]) for x in a["hosts"] for y in b["hosts"])


def storage_roots(data: dict, base_dir: Path) -> list[tuple[list, str]]:
    """Two sites on one machine with one VIDEO_STORAGE_ROOT (or one inside the other): each
    site's cleanup would delete the other's videos. Sites on different machines may use the
    same path: it names a different folder on each."""
    errors: list[tuple[list, str]] = []
    roots: list[tuple[Path, dict]] = []
    for i, site in enumerate(data["sites"]):
        root = _resolved(site["video_storage_root"], base_dir)
        for other, other_site in roots:
            if not _share_a_machine(site, other_site):
                continue
            if root == other or other in root.parents or root in other.parents:
                how = "is the same folder as" if root == other else "overlaps"
                errors.append((["sites", i, "video_storage_root"],
                               f"{root} {how} the storage root of site {other_site['name']} on the same host"))
        roots.append((root, site))
    return errors


def all_overlaps(data: dict, base_dir: Path) -> list[tuple[list, str]]:
    return dvr_ports(data) + storage_roots(data, base_dir)
