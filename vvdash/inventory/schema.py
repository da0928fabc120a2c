"""JSON Schema of vvdash.yaml.

Each node may carry an "expected" phrase: it becomes the error message
("expected an integer 1-65535"), so errors read the same everywhere.
"""

PORT = {"type": "integer", "grammar": "integral", "minimum": 1, "maximum": 65535,
        "expected": "an integer 1-65535"}
# Durations are checked by Prometheus's own grammar (vvdash/inventory/grammar.py); a window or
# interval must be longer than 0, a `for` may be 0.
DURATION = {"type": "string", "grammar": "duration", "expected": "a Prometheus duration greater than 0 such as 30s, 5m, 4h"}
DURATION_OR_ZERO = {"type": "string", "grammar": "duration_or_zero",
                    "expected": "a Prometheus duration such as 0s, 30s, 5m, 4h"}
NAME = {"type": "string", "grammar": "name", "expected": "a lowercase name ([a-z][a-z0-9_-]*, at most 63 characters)"}
RATIO = {"type": "number", "grammar": "finite", "minimum": 0, "maximum": 1, "expected": "a ratio between 0 and 1"}
POS_NUMBER = {"type": "number", "grammar": "finite", "exclusiveMinimum": 0,
              "expected": "a finite number greater than 0 (at most 2^53)"}
POS_INT = {"type": "integer", "grammar": "integral", "minimum": 1, "expected": "an integer >= 1 (at most 2^53)"}
NONNEG_INT = {"type": "integer", "grammar": "integral", "minimum": 0, "expected": "an integer >= 0 (at most 2^53)"}
NONNEG_NUMBER = {"type": "number", "grammar": "finite", "minimum": 0, "expected": "a finite number >= 0 (at most 2^53)"}
HOST = {"type": "string", "grammar": "host", "expected": "a host name or IP address"}
# A URL other paths are appended to (links, Grafana, BitNet): no query, no fragment.
URL = {"type": "string", "grammar": "base_url", "expected": "an http(s) URL with a host and no query or fragment"}
WEBHOOK_URL = {"type": "string", "grammar": "url", "expected": "an http(s) URL with a host"}
TEXT = {"type": "string", "grammar": "text", "expected": "printable text without {{ }} or $ (at most 256 characters)"}
PATH = {"type": "string", "grammar": "path", "expected": "a path (printable, no $, at most 4096 characters)"}

# A secret is never written inline: it is read from the environment or a file.
SECRET_REF = {
    "type": "object",
    "expected": "a secret reference {env: NAME} or {file: PATH}",
    "secret": True,   # errors here never show the value
    "oneOf": [
        {"required": ["env"], "properties": {"env": {"type": "string", "grammar": "env_name"}},
         "additionalProperties": False},
        {"required": ["file"], "properties": {"file": PATH},
         "additionalProperties": False},
    ],
}


def _obj(props, required=(), extra=False):
    return {"type": "object", "properties": props, "required": list(required),
            "additionalProperties": extra, "expected": "a mapping"}


SERVICE = _obj({"port": PORT, "enabled": {"type": "boolean"}, "address": HOST}, ["port"])

SERVICE_NAMES = [
    "dvr_simulator", "agent_dvr", "orchestrator", "scan_video", "summarize_scene",
    "logline_generator", "tv_scheduler", "self_monitor", "storage_exporter", "bitnet",
    "prometheus", "alertmanager", "pushgateway", "node_exporter", "blackbox_exporter",
    "webhook_receiver", "grafana", "cadvisor", "nginx_exporter", "runbook_server",
]

TV = _obj({
    "id": NAME,
    "max_items": POS_INT,
    "max_age_hours": POS_NUMBER,
    "min_people": NONNEG_INT,
    "require_faces": {"type": "boolean"},
}, ["id"])

DVR = _obj({
    "name": NAME,
    "address": HOST,
    "port": PORT,
    "path": {"type": "string", "grammar": "url_path", "expected": "a URL path starting with /"},
    "probe": {"enum": ["tcp", "icmp", "http"], "expected": "one of tcp, icmp, http"},
}, ["name", "address", "port"])

SITE = _obj({
    "name": NAME,
    "video_storage_root": {**PATH, "expected": "a directory path"},
    "storage_mountpoint": {"type": "string", "grammar": "mountpoint",
                           "expected": "an absolute mount point without quotes, backslashes, braces or $"},
    "hosts": {"type": "array", "minItems": 1, "expected": "a non-empty list of hosts",
              "items": _obj({"name": NAME, "address": HOST}, ["name", "address"])},
    "dvrs": {"type": "array", "items": DVR, "expected": "a list of DVRs"},
    "tvs": {"type": "array", "items": TV, "expected": "a list of TVs"},
    # With a `fleet` section: a full server evaluates the site-local alerts, an agent only ships.
    "prometheus": {"enum": ["server", "agent"], "expected": "one of server, agent"},
}, ["name", "video_storage_root", "hosts", "dvrs", "tvs"])

RECEIVER = _obj({
    "name": NAME,
    "type": {"enum": ["webhook", "slack", "email", "pagerduty"],
             "expected": "one of webhook, slack, email, pagerduty"},
    # Webhook URL: a literal only for a receiver on this machine; otherwise a reference.
    "url": {"anyOf": [WEBHOOK_URL, SECRET_REF], "secret": True,
            "expected": "an http(s) URL with a host or a secret reference"},
    "channel": TEXT,
    "api_url": SECRET_REF,
    "routing_key": SECRET_REF,
    "to": {"type": "string", "grammar": "emails", "expected": "email addresses separated by commas"},
    "from": {"type": "string", "grammar": "emails", "expected": "an email address"},
    "smarthost": {"type": "string", "grammar": "host_port", "expected": "host:port of the mail server"},
    "auth_username": TEXT,
    "auth_password": SECRET_REF,
    "send_resolved": {"type": "boolean"},
}, ["name", "type"])


# A credential the site's Prometheus reads itself: only a file on the site's machine, by absolute path.
SECRET_FILE = _obj({"file": {**PATH, "pattern": "^/", "expected": "an absolute path"}}, ["file"])
SECRET_FILE.update(secret=True, expected="a secret file reference {file: /absolute/path}")

FLEET = _obj({
    # The central store: where sites remote-write, where dashboards and the ruler query.
    "store": _obj({
        "write_url": WEBHOOK_URL, "query_url": URL,
        "tenant": NAME,
        "tenant_header": {"type": "string", "pattern": "^[A-Za-z][A-Za-z0-9-]{0,63}$",
                          "expected": "an HTTP header name"},
        "auth": {"type": "object", "expected": "{bearer_token: {file: PATH}} or {basic_auth: {username: NAME, password: {file: PATH}}}",
                 "oneOf": [
                     _obj({"bearer_token": SECRET_FILE}, ["bearer_token"]),
                     _obj({"basic_auth": _obj({"username": {**TEXT, "minLength": 1}, "password": SECRET_FILE},
                                              ["username", "password"])}, ["basic_auth"]),
                 ]},
    }, ["write_url", "query_url"]),
    "queue": _obj({
        "capacity": POS_INT, "min_shards": POS_INT, "max_shards": POS_INT, "max_samples_per_send": POS_INT,
        "batch_send_deadline": DURATION, "min_backoff": DURATION, "max_backoff": DURATION,
    }),
    # Where sites send their alerts: the central Alertmanager cluster, every member.
    "alertmanagers": {"type": "array", "minItems": 1, "expected": "a non-empty list of host:port",
                      "items": {"type": "string", "grammar": "host_port", "expected": "host:port"}},
    # A site is silent when no heartbeat sample arrived for `silent_after`, for `silent_for`.
    "silent_after": DURATION, "silent_for": DURATION_OR_ZERO,
}, ["store", "alertmanagers", "silent_after", "silent_for"])


def _section(keys: dict, required=None):
    return _obj(keys, required if required is not None else list(keys))


SCHEMA = _obj({
    "version": {"const": 1, "expected": "1"},
    # Optional: without them, links point at the first site's first host (vvdash.emit.alert_links).
    "links": _obj({"grafana_url": URL, "runbook_url": URL}),
    "sites": {"type": "array", "minItems": 1, "items": SITE, "expected": "a non-empty list of sites"},
    "services": _obj(
        {"bind_address": HOST, **{name: SERVICE for name in SERVICE_NAMES}},
        ["bind_address", *SERVICE_NAMES],
    ),
    "prometheus": _section({"scrape_interval": DURATION, "evaluation_interval": DURATION}),
    "pipeline": _obj({
        "segment_seconds": POS_NUMBER,
        "sample_fps": POS_NUMBER,
        "input_settle_seconds": NONNEG_NUMBER,   # optional: pipeline/settle.py's default applies
        "workers": _section({"scan": POS_INT, "summarize": POS_INT, "logline": POS_INT}),
        "summarizer": _obj({
            "backend": {"enum": ["builtin", "bitnet"], "expected": "one of builtin, bitnet"},
            "bitnet_url": URL,
            "timeout_seconds": POS_NUMBER,
            "model_name": {**TEXT, "minLength": 1},
            "model_version": {**TEXT, "minLength": 1, "expected": "a string (quote numbers)"},
        }, ["backend", "timeout_seconds", "model_name", "model_version"]),
        "hmac_key": SECRET_REF,
        "tv_scheduler": _section({"period_seconds": POS_NUMBER}),
        "self_monitor": _section({"period_seconds": POS_NUMBER, "restart_budget": POS_INT,
                                  "budget_window_seconds": POS_NUMBER}),
        "cleanup": _section({"period_seconds": POS_NUMBER, "max_age_days": POS_NUMBER,
                             "max_bytes": POS_INT, "keep_newest": NONNEG_INT}),
        "log_export": _section({"period_seconds": POS_NUMBER}),
        "storage_exporter": _section({"refresh_seconds": POS_NUMBER}),
    }, ["segment_seconds", "sample_fps", "workers", "summarizer", "hmac_key", "tv_scheduler",
        "self_monitor", "cleanup", "log_export", "storage_exporter"]),
    "thresholds": _section({
        "storage": _section({
            "predict_window": DURATION, "fill_warning_horizon": DURATION,
            "fill_critical_horizon": DURATION, "fill_free_floor_ratio": RATIO,
            "fill_warning_free_ratio": RATIO,
            "almost_full_free_ratio": RATIO, "subfolder_growth_bytes_per_hour": POS_NUMBER,
            "for": DURATION_OR_ZERO, "almost_full_for": DURATION_OR_ZERO, "missing_for": DURATION_OR_ZERO,
        }),
        "pipeline": _section({
            "stage_error_ratio": RATIO, "min_items_per_second": POS_NUMBER,
            "queue_backlog": POS_INT, "stalled_for": DURATION_OR_ZERO, "slo_target": RATIO, "for": DURATION_OR_ZERO,
            "corrupted_files_warning": POS_INT, "corrupted_files_critical": POS_INT,
        }),
        "dvr": _section({
            "disconnected_for": DURATION_OR_ZERO, "no_segments_for": DURATION_OR_ZERO,
            "probe_slow_seconds": POS_NUMBER, "connection_errors_per_minute": POS_NUMBER,
            "for": DURATION_OR_ZERO, "flap_window": DURATION, "flap_changes": POS_INT,
        }),
        "summarizer": _section({"inference_p95_seconds": POS_NUMBER, "failure_ratio": RATIO,
                                "min_inferences_per_second": POS_NUMBER, "for": DURATION_OR_ZERO}),
        "scheduler": _section({"stale_periods": POS_INT}),
        "maintenance": _section({"stale_periods": POS_INT}),
        "platform": _section({"target_down_for": DURATION_OR_ZERO, "restart_loop_count": POS_INT,
                              "restart_loop_window": DURATION}),
        # The alerting path itself (rules/meta.py).
        "meta": _section({"notification_error_ratio": RATIO, "for": DURATION_OR_ZERO}),
    }),
    "alerting": _obj({
        "group_wait": DURATION_OR_ZERO, "group_interval": DURATION, "repeat_interval": DURATION,
        "receivers": {"type": "array", "minItems": 1, "items": RECEIVER,
                      "expected": "a non-empty list of receivers"},
        "routes": _section({"critical": NAME, "warning": NAME, "info": NAME}),
        # The always-firing heartbeat goes to its own receiver (an external dead man's switch).
        "heartbeat": _section({"receiver": NAME, "repeat_interval": DURATION}),
    }, ["group_wait", "group_interval", "repeat_interval", "receivers", "routes", "heartbeat"]),
    "grafana": _obj({
        "url": URL, "token": SECRET_REF, "username": TEXT, "password": SECRET_REF,
        "ca_bundle": PATH, "folder_uid": NAME, "folder_title": TEXT,
        "folder": {**TEXT, "minLength": 1},   # a nested folder path "VV/Site A" (Grafana 11+)
        "datasource_uid": NAME,
    }, ["url", "folder_uid", "folder_title", "datasource_uid"]),
    # Optional: a Prometheus per site remote-writing into a central store (vvdash/fleet/).
    "fleet": FLEET,
}, ["version", "sites", "services", "prometheus", "pipeline", "thresholds", "alerting",
    "grafana"])
