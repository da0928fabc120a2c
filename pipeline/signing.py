"""HMAC-SHA256 signing of loglines: one JSON object per line, the signature in its `hmac` field.

The signature covers the canonical JSON of the record without `hmac` (sorted keys, no spaces,
UTF-8), so a reader can verify a line without knowing which fields it carries.
"""

from __future__ import annotations

import hashlib
import hmac
import json

from vvdash.inventory import Inventory

FIELD = "hmac"


class SignatureError(ValueError):
    """A line that is not valid JSON, carries no signature, or whose signature does not match."""


def canonical(record: dict) -> bytes:
    body = {k: v for k, v in record.items() if k != FIELD}
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def signature(record: dict, key: bytes) -> str:
    return hmac.new(key, canonical(record), hashlib.sha256).hexdigest()


def sign(record: dict, key: bytes) -> str:
    """The signed line for `record` (no trailing newline)."""
    if not key:
        raise SignatureError("empty HMAC key")
    signed = {**{k: v for k, v in record.items() if k != FIELD}, FIELD: signature(record, key)}
    return json.dumps(signed, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def verify(line: str | bytes, key: bytes) -> dict:
    """The record of a signed line (without `hmac`); SignatureError when it does not check out."""
    if isinstance(line, bytes):
        line = line.decode("utf-8", errors="replace")
    try:
        record = json.loads(line)
    except json.JSONDecodeError as exc:
        raise SignatureError(f"not JSON ({exc.msg})") from None
    if not isinstance(record, dict):
        raise SignatureError("not a JSON object")
    given = record.get(FIELD)
    if not isinstance(given, str):
        raise SignatureError("unsigned (no hmac field)")
    if not hmac.compare_digest(given, signature(record, key)):
        raise SignatureError("signature mismatch (tampered or signed with another key)")
    return {k: v for k, v in record.items() if k != FIELD}


def load_key(inv: Inventory) -> bytes:
    """The logline HMAC key from the inventory's pipeline.hmac_key; a VVError names the reference, never the value."""
    return inv.secret(inv["pipeline"].get("hmac_key"), "pipeline.hmac_key").encode("utf-8")


__all__ = ["FIELD", "SignatureError", "canonical", "load_key", "sign", "signature", "verify"]
