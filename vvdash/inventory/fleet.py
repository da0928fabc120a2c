"""The inventory's `fleet` section: a Prometheus per site writing into a central store.

Without `fleet` the build is the single-site one, byte for byte; `sites[].prometheus` only
means something in a fleet, so it is refused without one.
"""

from __future__ import annotations

from vvdash.inventory import grammar

DEFAULT_TENANT_HEADER = "THANOS-TENANT"
# Prometheus's own remote-write queue defaults, where the inventory sets none.
QUEUE_DEFAULTS = {"capacity": 10000, "min_shards": 1, "max_shards": 50, "max_samples_per_send": 2000,
                  "batch_send_deadline": "5s", "min_backoff": "30ms", "max_backoff": "5s"}


def _ns(value: str) -> int:
    ns = grammar.duration_ns(value)
    return 0 if ns is None else ns      # a malformed duration is the schema's finding, not this one


def fleet_errors(data: dict) -> list[tuple[list, str]]:
    fleet = data.get("fleet")
    if fleet is None:
        return [(["sites", i, "prometheus"], "only meaningful with a fleet section (add `fleet` or remove it)")
                for i, site in enumerate(data["sites"]) if "prometheus" in site]
    errors: list[tuple[list, str]] = []
    queue = {**QUEUE_DEFAULTS, **fleet.get("queue", {})}
    if queue["min_shards"] > queue["max_shards"]:
        errors.append((["fleet", "queue", "min_shards"],
                       f"must not exceed fleet.queue.max_shards ({queue['max_shards']}), got {queue['min_shards']}"))
    if _ns(queue["min_backoff"]) > _ns(queue["max_backoff"]):
        errors.append((["fleet", "queue", "min_backoff"],
                       f"must not exceed fleet.queue.max_backoff ({queue['max_backoff']}), got {queue['min_backoff']!r}"))
    interval = _ns(data["prometheus"]["scrape_interval"])
    if _ns(fleet["silent_after"]) <= interval:
        errors.append((["fleet", "silent_after"],
                       f"must be longer than prometheus.scrape_interval ({data['prometheus']['scrape_interval']}), "
                       f"got {fleet['silent_after']!r}"))
    return errors


def queue(inv) -> dict:
    return {**QUEUE_DEFAULTS, **inv["fleet"].get("queue", {})}


def mode(site: dict) -> str:
    """How the site's Prometheus runs: `server` (evaluates the site-local alerts) or `agent`."""
    return site.get("prometheus", "server")
