"""The Grafana client on its own: retry waits, Retry-After, and a credential that never shows itself."""

from __future__ import annotations

import time

import pytest

from upload_helpers import EDITOR_TOKEN

from vvdash.ship.client import MAX_WAIT, GrafanaClient, GrafanaError
from vvdash.ship.connection import Connection, Credential


def _client(url: str, retries: int = 3, backoff: float = 0.05):
    notes: list[str] = []
    conn = Connection(url, Credential("token", "$VVDASH_GRAFANA_TOKEN", EDITOR_TOKEN), timeout=3, retries=retries,
                      backoff=backoff)
    return GrafanaClient(conn, notify=notes.append), notes


def test_waits_double_and_are_capped():
    client, _ = _client("http://127.0.0.1:1", backoff=0.1)
    waits = [client._wait(attempt, None) for attempt in (1, 2, 3)]
    assert 0.08 <= waits[0] <= 0.12 and 0.16 <= waits[1] <= 0.24 and 0.32 <= waits[2] <= 0.48
    big, _ = _client("http://127.0.0.1:1", backoff=60)
    assert big._wait(1, None) == MAX_WAIT
    assert client._wait(1, 100.0) == MAX_WAIT          # a server's Retry-After is capped too


def test_retry_after_from_a_503_is_honoured(standin):
    standin.fail(503, "GET", "/api/folders/x", times=1, retry_after="1")
    client, notes = _client(standin.url)
    start = time.monotonic()
    assert client.folder("x") is None                   # then 404: no such folder
    assert time.monotonic() - start >= 1.0
    assert notes == ["retry 1/3: GET /api/folders/x (HTTP 503 Service Unavailable); waiting 1.00 s"]


def test_errors_carry_status_and_grafanas_status_text(standin):
    client, _ = _client(standin.url)
    client.save_dashboard({"uid": "a", "title": "A"}, "", "m", overwrite=False)
    with pytest.raises(GrafanaError) as info:
        client.save_dashboard({"uid": "a", "title": "A", "version": 0}, "", "m", overwrite=False)
    assert (info.value.status, info.value.status_text) == (412, "version-mismatch")
    assert info.value.call == "POST /api/dashboards/db"


def test_credential_never_shows_its_value():
    token = Credential("token", "--token-file /run/secrets/grafana", EDITOR_TOKEN)
    basic = Credential("basic", "grafana.password", "hunter2-pw", "admin")
    for text in (repr(token), str(token), repr(basic), str(basic),
                 repr(Connection("http://g", token)), repr(Connection("http://g", basic))):
        assert EDITOR_TOKEN not in text and "hunter2-pw" not in text
    assert "--token-file /run/secrets/grafana" in repr(token)
