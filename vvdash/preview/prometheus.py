"""The preview's Prometheus: its HTTP API (query, query_range, label values), timed."""

from __future__ import annotations

import threading
import time
import urllib.parse

import requests
import yaml

from vvdash.preview import grafana_time

TIMEOUT = 30.0


class PrometheusError(Exception):
    """Prometheus answered with an error (bad query, timeout) or did not answer."""


class Prometheus:
    def __init__(self, url: str):
        self.url = url.rstrip("/")
        parts = urllib.parse.urlsplit(self.url)
        # What messages and pages show: never a user:password in the URL.
        self.shown = parts._replace(netloc=parts.netloc.rpartition("@")[2]).geturl()
        self._local = threading.local()

    def _session(self) -> requests.Session:
        if not hasattr(self._local, "session"):     # one per server thread: Session is not thread-safe
            self._local.session = requests.Session()
        return self._local.session

    def get(self, path: str, params, method: str = "POST") -> tuple[dict, float]:
        """(data, seconds the call took); PrometheusError with Prometheus' own message.
        Queries are POSTed (long expressions), as Grafana's data source does by default."""
        started = time.perf_counter()
        try:
            if method == "POST":
                r = self._session().post(f"{self.url}{path}", data=params, timeout=TIMEOUT)
            else:
                r = self._session().get(f"{self.url}{path}", params=params, timeout=TIMEOUT)
        except requests.RequestException as exc:
            raise PrometheusError(f"Prometheus at {self.shown} does not answer ({type(exc).__name__})") from None
        took = time.perf_counter() - started
        try:
            body = r.json()
        except ValueError:
            raise PrometheusError(f"Prometheus answered HTTP {r.status_code} without JSON") from None
        if body.get("status") != "success":
            raise PrometheusError(f"{body.get('errorType', 'error')}: {body.get('error', r.status_code)}")
        return body["data"], took

    def scrape_interval_ms(self) -> int:
        """The global scrape interval from Prometheus' running config (Grafana's 'min interval'
        for the data source; 15s, Grafana's default, when Prometheus does not tell)."""
        try:
            data, _ = self._get_config()
            text = yaml.safe_load(data["yaml"])["global"]["scrape_interval"]
            return grafana_time.parse_duration_ms(str(text))
        except (PrometheusError, KeyError, TypeError, ValueError, yaml.YAMLError):
            return grafana_time.DEFAULT_SCRAPE_MS

    def _get_config(self):
        started = time.perf_counter()
        try:
            r = self._session().get(f"{self.url}/api/v1/status/config", timeout=TIMEOUT)
            return r.json()["data"], time.perf_counter() - started
        except (requests.RequestException, ValueError, KeyError):
            raise PrometheusError("no config") from None

    def ready(self) -> bool:
        try:
            return self._session().get(f"{self.url}/-/ready", timeout=5).status_code == 200
        except requests.RequestException:
            return False
