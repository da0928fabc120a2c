"""The Grafana client on its own: retry waits, Retry-After, and a credential that never shows itself."""

from __future__ import annotations

import time
from datetime import datetime, timedelta, UTC
from email.utils import format_datetime
from types import SimpleNamespace

import pytest

from upload_helpers import EDITOR_TOKEN

from vvdash.ship.client import MAX_WAIT, GrafanaClient, GrafanaError, _retry_after
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


def _http_date(seconds_from_now: float) -> str:
    return format_datetime(datetime.now(UTC) + timedelta(seconds=seconds_from_now), usegmt=True)


@pytest.mark.parametrize("header, low, high", [
    ("2", 2.0, 2.0),
    ("0", 0.0, 0.0),
    (5, 3.5, 5.0),                          # an HTTP-date 5 s ahead; it has whole seconds: up to 1 s less
    (-30, 0.0, 0.0),                        # an HTTP-date in the past: retry now
    ("Wed, 21 Oct 2015 07:28:00 -0000", 0.0, 0.0),
])
def test_retry_after_seconds_and_http_date(header, low, high):
    if isinstance(header, int):             # made here, not at collection: the date is relative to now
        header = _http_date(header)
    wait = _retry_after(SimpleNamespace(headers={"Retry-After": header}))
    assert low <= wait <= high


@pytest.mark.parametrize("header", ["", "soon", "Fri, 99 Foo 2026 99:00:00 GMT"])
def test_unreadable_retry_after_falls_back_to_backoff(header):
    assert _retry_after(SimpleNamespace(headers={"Retry-After": header})) is None
    assert _retry_after(SimpleNamespace(headers={})) is None


def test_far_retry_after_of_either_form_is_capped():
    client, _ = _client("http://127.0.0.1:1")
    for header in (str(3600), _http_date(3600)):
        assert client._wait(1, _retry_after(SimpleNamespace(headers={"Retry-After": header}))) == MAX_WAIT


def test_retry_after_http_date_from_a_503_is_honoured(standin):
    standin.fail(503, "GET", "/api/folders/x", times=1, retry_after=_http_date(2))
    client, notes = _client(standin.url)
    start = time.monotonic()
    assert client.folder("x") is None
    waited = float(notes[0].rsplit("waiting ", 1)[1].split()[0])
    assert 0.5 <= waited <= 2.0 and time.monotonic() - start >= waited - 0.01   # the note rounds to 0.01 s
    assert notes[0].startswith("retry 1/3: GET /api/folders/x (HTTP 503 Service Unavailable); waiting ")


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
