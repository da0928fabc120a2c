"""JSON Schema of vvdash.yaml.

Each node may carry an "expected" phrase: it becomes the error message
("expected an integer 1-65535"), so errors read the same everywhere.
"""

PORT = {"type": "integer", "minimum": 1, "maximum": 65535, "expected": "an integer 1-65535"}
DURATION = {
    "type": "string",
    "pattern": r"^([0-9]+(ms|s|m|h|d|w|y))+$",
    "expected": "a Prometheus duration such as 30s, 5m, 4h",
}
NAME = {"type": "string", "pattern": r"^[a-z][a-z0-9_-]*$", "expected": "a lowercase name ([a-z][a-z0-9_-]*)"}
RATIO = {"type": "number", "minimum": 0, "maximum": 1, "expected": "a ratio between 0 and 1"}
POS_NUMBER = {"type": "number", "exclusiveMinimum": 0, "expected": "a number greater than 0"}
POS_INT = {"type": "integer", "minimum": 1, "expected": "an integer >= 1"}
NONNEG_INT = {"type": "integer", "minimum": 0, "expected": "an integer >= 0"}
NONNEG_NUMBER = {"type": "number", "minimum": 0, "expected": "a number >= 0"}
HOST = {"type": "string", "minLength": 1, "pattern": r"^[A-Za-z0-9_.:\[\]-]+$", "expected": "a host name or IP address"}
URL = {"type": "string", "pattern": r"^https?://[^\s]+$", "expected": "an http(s) URL"}

# A secret is never written inline: it is read from the environment or a file.
SECRET_REF = {
    "type": "object",
    "expected": "a secret reference {env: NAME} or {file: PATH}",
    "oneOf": [
        {"required": ["env"], "properties": {"env": {"type": "string", "pattern": r"^[A-Z_][A-Z0-9_]*$"}},
         "additionalProperties": False},
        {"required": ["file"], "properties": {"file": {"type": "string", "minLength": 1}},
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
    "webhook_receiver", "grafana", "cadvisor", "nginx_exporter",
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
    "path": {"type": "string", "pattern": "^/", "expected": "a URL path starting with /"},
    "probe": {"enum": ["tcp", "icmp", "http"], "expected": "one of tcp, icmp, http"},
}, ["name", "address", "port"])

SITE = _obj({
    "name": NAME,
    "video_storage_root": {"type": "string", "minLength": 1, "expected": "a directory path"},
    "storage_mountpoint": {"type": "string", "pattern": "^/", "expected": "an absolute mount point"},
    "hosts": {"type": "array", "minItems": 1, "expected": "a non-empty list of hosts",
              "items": _obj({"name": NAME, "address": HOST}, ["name", "address"])},
    "dvrs": {"type": "array", "items": DVR, "expected": "a list of DVRs"},
    "tvs": {"type": "array", "items": TV, "expected": "a list of TVs"},
}, ["name", "video_storage_root", "hosts", "dvrs", "tvs"])

RECEIVER = _obj({
    "name": NAME,
    "type": {"enum": ["webhook", "slack", "email", "pagerduty"],
             "expected": "one of webhook, slack, email, pagerduty"},
    # Webhook URL: a literal only for a receiver on this machine; otherwise a reference.
    "url": {"anyOf": [URL, SECRET_REF], "expected": "an http(s) URL or a secret reference"},
    "channel": {"type": "string"},
    "api_url": SECRET_REF,
    "routing_key": SECRET_REF,
    "to": {"type": "string"},
    "from": {"type": "string"},
    "smarthost": {"type": "string"},
    "auth_username": {"type": "string"},
    "auth_password": SECRET_REF,
    "send_resolved": {"type": "boolean"},
}, ["name", "type"])


def _section(keys: dict, required=None):
    return _obj(keys, required if required is not None else list(keys))


SCHEMA = _obj({
    "version": {"const": 1, "expected": "1"},
    "links": _section({"grafana_url": URL, "runbook_url": URL}),
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
            "model_name": {"type": "string", "minLength": 1},
            "model_version": {"type": "string", "minLength": 1, "expected": "a string (quote numbers)"},
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
            "almost_full_free_ratio": RATIO, "subfolder_growth_bytes_per_hour": POS_NUMBER,
            "for": DURATION, "almost_full_for": DURATION,
        }),
        "pipeline": _section({
            "stage_error_ratio": RATIO, "min_items_per_second": POS_NUMBER,
            "queue_backlog": POS_INT, "stalled_for": DURATION, "slo_target": RATIO, "for": DURATION,
            "corrupted_files_warning": POS_INT, "corrupted_files_critical": POS_INT,
        }),
        "dvr": _section({
            "disconnected_for": DURATION, "no_segments_for": DURATION,
            "probe_slow_seconds": POS_NUMBER, "connection_errors_per_minute": POS_NUMBER,
            "for": DURATION,
        }),
        "summarizer": _section({"inference_p95_seconds": POS_NUMBER, "failure_ratio": RATIO,
                                "for": DURATION}),
        "scheduler": _section({"stale_periods": POS_INT}),
        "maintenance": _section({"stale_periods": POS_INT}),
        "platform": _section({"target_down_for": DURATION, "restart_loop_count": POS_INT,
                              "restart_loop_window": DURATION}),
    }),
    "alerting": _obj({
        "group_wait": DURATION, "group_interval": DURATION, "repeat_interval": DURATION,
        "receivers": {"type": "array", "minItems": 1, "items": RECEIVER,
                      "expected": "a non-empty list of receivers"},
        "routes": _section({"critical": NAME, "warning": NAME, "info": NAME}),
    }, ["group_wait", "group_interval", "repeat_interval", "receivers", "routes"]),
    "grafana": _obj({
        "url": URL, "token": SECRET_REF, "username": {"type": "string"}, "password": SECRET_REF,
        "ca_bundle": {"type": "string"}, "folder_uid": NAME, "folder_title": {"type": "string"},
        "datasource_uid": NAME,
    }, ["url", "folder_uid", "folder_title", "datasource_uid"]),
}, ["version", "links", "sites", "services", "prometheus", "pipeline", "thresholds", "alerting",
    "grafana"])
