"""generated/alertmanager/alertmanager.yml from the inventory's `alerting` section.

Routing by severity, grouping by alertname and site, inhibitions that mute the symptoms
of a root cause. Secrets never land in the file: Slack, PagerDuty and email secrets are
`*_file` paths, and a webhook URL given as a secret reference becomes a placeholder that
`write_runtime()` replaces when a running Alertmanager gets its own copy.
"""

from __future__ import annotations

import copy
import os
from pathlib import Path

from vvdash.emit.alertmanager_templates import RECEIVER_FIELDS, TEMPLATE, TEMPLATE_FILE, TEMPLATES_DIR
from vvdash.emit.serialize import GENERATED_HEADER, dump_yaml
from vvdash.errors import VVError
from vvdash.inventory import duration_seconds
from vvdash.model.rules import Severity


CONFIG_PATH = "alertmanager/alertmanager.yml"
TEMPLATE_PATH = f"alertmanager/{TEMPLATES_DIR}/{TEMPLATE_FILE}"
HEARTBEAT = "VVAlertingHeartbeat"     # the always-firing alert of rules/meta.py
# File name of the runtime copy write_runtime() puts in its folder.
RUNTIME_CONFIG = "alertmanager.yml"
GROUP_BY = ["alertname", "site"]
# Secrets from the environment are written here, beside the runtime copy of the config
# (Alertmanager reads relative *_file paths from the config file's folder).
SECRETS_DIR = "secrets"
# Which receiver field takes which secret, as Alertmanager 0.25 names its *_file field.
_SECRET_FILE_FIELD = {("slack", "api_url"): "api_url_file",
                      ("pagerduty", "routing_key"): "routing_key_file",
                      ("email", "auth_password"): "auth_password_file"}

# Labels that tell two objects of one alert apart. A label missing on both alerts counts as
# equal in Alertmanager, so listing one an alert lacks never widens an inhibition.
OBJECT_LABELS = ["site", "job", "instance", "dvr", "mountpoint", "stage", "backend", "folder", "service",
                 "integration", "rule_group"]
# Root causes muting their symptoms, and only symptoms of that same cause. Each: (source
# matchers, target matchers, equal labels). Not here on purpose: a disconnected DVR muting a
# stalled pipeline (an outage only drains the queue, so both at once means something else is
# stuck) or missing segments (that alert requires a connection, so the two never coincide).
INHIBITIONS = (
    # The agent's lost connection explains the same DVR's failing probe (it pages; the probe warns),
    # and its flapping: once the DVR is down for good, the drops before are the same outage.
    (['alertname="VVDvrDisconnected"'], ['alertname=~"VVDvrProbeFailing|VVDvrFlapping"'], ["site", "dvr"]),
    # A target that cannot be scraped makes that target's other alerts meaningless; another host
    # of the same job (another node_exporter) keeps its alerts.
    (['alertname="VVTargetDown"'], ['alertname!="VVTargetDown"'], ["site", "job", "instance"]),
    # The critical variant of an alert mutes its warning variant on the same object.
    (['severity="critical"'], ['severity="warning"'], ["alertname", *OBJECT_LABELS]),
)


def placeholder_url(receiver: str) -> str:
    """Stands in for a webhook URL kept secret (the .invalid domain never resolves)."""
    return f"http://{receiver}.secret.invalid/webhook-url"


def _secret_file(ref: dict) -> str:
    return ref["file"] if "file" in ref else f"{SECRETS_DIR}/{ref['env']}"


def receiver_secrets(rec: dict) -> dict[str, dict]:
    """The receiver's secret references by key (a webhook's url only when it is a reference)."""
    keys = [key for kind, key in _SECRET_FILE_FIELD if kind == rec["type"]]
    if rec["type"] == "webhook":
        keys.append("url")
    return {key: rec[key] for key in keys if isinstance(rec.get(key), dict)}


def receiver_config(rec: dict) -> dict:
    kind = rec["type"]
    send_resolved = rec.get("send_resolved", True)
    if kind == "webhook":
        url = rec["url"]
        conf = {"url": url if isinstance(url, str) else placeholder_url(rec["name"])}
    elif kind == "slack":
        conf = {"channel": rec["channel"]}
    elif kind == "pagerduty":
        conf = {}
    else:
        conf = {key: rec[key] for key in ("to", "from", "smarthost", "auth_username") if key in rec}
    conf.update(copy.deepcopy(RECEIVER_FIELDS[kind]))
    for (secret_kind, key), file_field in _SECRET_FILE_FIELD.items():
        if secret_kind == kind and key in rec:
            conf[file_field] = _secret_file(rec[key])
    conf["send_resolved"] = send_resolved
    return {"name": rec["name"], f"{kind}_configs": [conf]}


def _duration(seconds: float) -> str:
    return f"{int(seconds)}s" if float(seconds).is_integer() else f"{max(1, round(seconds * 1000))}ms"


def heartbeat_route(alerting: dict) -> dict:
    """The heartbeat's own route: straight to its receiver, again every heartbeat.repeat_interval.
    Alertmanager resends at the first look at the group after repeat_interval has passed, and it
    looks every group_interval: a quarter of the repeat keeps the beat within 25 % of it."""
    every = alerting["heartbeat"]["repeat_interval"]
    return {"matchers": [f'alertname="{HEARTBEAT}"'], "receiver": alerting["heartbeat"]["receiver"],
            "group_wait": "0s", "group_interval": _duration(duration_seconds(every) / 4),
            "repeat_interval": every}


def config(inv) -> dict:
    alerting = inv["alerting"]
    routes = alerting["routes"]
    severity_routes = [{"matchers": [f'severity="{sev}"'], "receiver": routes[sev]} for sev in Severity]
    return {
        # Relative to the config file's folder (Alertmanager resolves it there).
        "templates": [f"{TEMPLATES_DIR}/*.tmpl"],
        "route": {
            "receiver": routes["info"],
            "group_by": list(GROUP_BY),
            "group_wait": alerting["group_wait"],
            "group_interval": alerting["group_interval"],
            "repeat_interval": alerting["repeat_interval"],
            "routes": [heartbeat_route(alerting), *severity_routes],
        },
        "inhibit_rules": [{"source_matchers": list(src), "target_matchers": list(tgt), "equal": list(eq)}
                          for src, tgt, eq in INHIBITIONS],
        "receivers": [receiver_config(rec) for rec in alerting["receivers"]],
    }


def emit(project) -> dict[str, bytes]:
    return {CONFIG_PATH: dump_yaml(config(project.inventory), GENERATED_HEADER, sort_keys=False),
            TEMPLATE_PATH: TEMPLATE.encode()}


def write_runtime(inv, dest: Path) -> Path:
    """Write the config a running Alertmanager reads, with its secrets, into `dest` (private files).

    Environment secrets go to dest/secrets/NAME (mode 0600); a secret webhook URL replaces its
    placeholder in this copy only. Returns the config path.
    """
    dest = Path(dest)
    text = dump_yaml(config(inv), GENERATED_HEADER, sort_keys=False).decode()
    files: dict[Path, str] = {}
    for rec in inv["alerting"]["receivers"]:   # resolve every secret before writing anything
        where = f"alerting.receivers[{rec['name']}]"
        if rec["type"] == "webhook" and not isinstance(rec["url"], str):
            text = text.replace(placeholder_url(rec["name"]), inv.secret(rec["url"], f"{where}.url"))
        for kind, key in _SECRET_FILE_FIELD:
            ref = rec.get(key) if rec["type"] == kind else None
            if ref and "env" in ref:
                files[dest / SECRETS_DIR / ref["env"]] = inv.secret(ref, f"{where}.{key}")
    path = dest / RUNTIME_CONFIG
    files[dest / TEMPLATES_DIR / TEMPLATE_FILE] = TEMPLATE
    files[path] = text
    for target, content in files.items():
        _write_private(target, content)
    return path


def _write_private(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.fchmod(fd, 0o600)   # an existing file keeps its old mode otherwise
        os.write(fd, text.encode())
    finally:
        os.close(fd)
    if path.stat().st_mode & 0o077:
        raise VVError(f"{path}: could not make the file private")
