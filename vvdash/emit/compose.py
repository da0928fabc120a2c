"""generated/compose/: a production docker-compose.yml for one site, with the files it mounts.

The production stack (Prometheus, Alertmanager, Grafana with the generated provisioning, cAdvisor,
node_exporter, Pushgateway, blackbox_exporter) plus the pipeline services. Inside compose,
services reach each other by service name, so two files are rendered for it (and the `runbook`
service serves generated/RUNBOOK.md on the runbook_server port, where alerts' runbook_url points):
- compose/prometheus/prometheus.yml: the scrape config with compose service names as hosts;
- compose/grafana/provisioning/datasources/: Grafana's datasource at http://prometheus:<port>;
- compose/vvdash.yaml: the inventory the pipeline containers read (each service's address is
  its compose name, storage under /data/video). Secrets stay references: the HMAC key, the
  Grafana admin password and receiver secrets come from the environment or files (a relative
  file is taken from the inventory's folder, as everywhere else) through compose secrets.
Alertmanager 0.25 cannot read a webhook URL from a file, so its config is not mounted from
generated/: a one-shot `alertmanager_config` service (the vvdash image) runs `vvdash
alertmanager-config` at start, writing the config with its secrets into a volume Alertmanager
reads once that service has finished.
Every other mount is a file `vvdash build` writes (rules, blackbox, dashboards).
The vvdash image is built from the repository's Dockerfile (`docker compose build`); it runs as a
non-root user, so self_monitor, which restarts containers through the host's Docker socket, joins
the socket's group: set DOCKER_GID to it (`stat -c %g /var/run/docker.sock`; default 999).
cAdvisor is always part of the compose stack (Docker is there by definition).
"""

from __future__ import annotations

import copy
import re
from urllib.parse import urlsplit

from vvdash import __version__
from vvdash.jobs import HMAC_KEY_USERS
from vvdash.emit import grafana_provisioning
from vvdash.model.dashboards import GRAFANA_VERSION
from vvdash.emit.alertmanager import RUNTIME_CONFIG, receiver_secrets
from vvdash.emit.prometheus_config import BLACKBOX_PATH, Addressing, render
from vvdash.emit.runbook import RUNBOOK_PATH
from vvdash.emit.serialize import GENERATED_HEADER, dump_yaml
from vvdash.generations import proven_version
from vvdash.inventory import Inventory, is_loopback, secret_file
from vvdash.jobs import PIPELINE_SERVICES

COMPOSE_PATH = "compose/docker-compose.yml"
PROMETHEUS_PATH = "compose/prometheus/prometheus.yml"
INVENTORY_PATH = "compose/vvdash.yaml"
# Grafana's datasource inside compose points at the prometheus service, not the host's address.
DATASOURCES_DIR = "grafana/provisioning/datasources"
IMAGES = {   # the versions `make test` proves (generation 3, vvdash/generations.py)
    "prometheus": f"prom/prometheus:v{proven_version('prometheus')}",
    "alertmanager": f"prom/alertmanager:v{proven_version('prometheus-alertmanager')}",
    "pushgateway": f"prom/pushgateway:v{proven_version('prometheus-pushgateway')}",
    "node_exporter": f"prom/node-exporter:v{proven_version('prometheus-node-exporter')}",
    "blackbox_exporter": f"prom/blackbox-exporter:v{proven_version('prometheus-blackbox-exporter')}",
    "cadvisor": "gcr.io/cadvisor/cadvisor:v0.47.2",
    "nginx_exporter": "nginx/nginx-prometheus-exporter:0.11.0",
    "grafana": f"grafana/grafana:{GRAFANA_VERSION}",   # the OSS image; the release the dashboards are written for
}
# The pipeline image: this project installed with pip (override with VVDASH_IMAGE), built from the
# repository's Dockerfile by `docker compose build` (the context is relative to generated/compose/).
PIPELINE_IMAGE = f"${{VVDASH_IMAGE:-vvdash:{__version__}}}"
PIPELINE_BUILD = {"context": "../..", "dockerfile": "Dockerfile"}
# The image runs as a non-root user: self_monitor joins the group owning the host's Docker socket.
DOCKER_GID = "${DOCKER_GID:-999}"
VIDEO_ROOT = "/data/video"
INVENTORY_IN_CONTAINER = "/etc/vvdash/vvdash.yaml"
GRAFANA_PASSWORD_ENV = "GRAFANA_ADMIN_PASSWORD"   # without grafana.password in the inventory
GRAFANA_PASSWORD_SECRET = "grafana_admin_password"
HMAC_SECRET = "hmac_key"
SECRETS_IN_CONTAINER = "/run/secrets"     # where compose mounts a service's secrets by default
# The runtime Alertmanager config: written by the init service, read by Alertmanager.
AM_INIT_SERVICE = "alertmanager_config"
AM_RUNTIME_VOLUME = "alertmanager_runtime"
AM_RUNTIME_DIR = "/etc/alertmanager/runtime"
# The prom/alertmanager image runs as nobody; the init service hands it the files it writes.
AM_USER = "65534:65534"
# Relative to generated/compose/ (where docker-compose.yml lives).
GEN = ".."
RUNBOOK_SERVICE = "runbook"
RUNBOOK_IN_CONTAINER = "/srv/vvdash/RUNBOOK.md"


def compose_inventory(inv: Inventory) -> dict:
    """The inventory as the containers see it: one site, services addressed by compose name."""
    data = copy.deepcopy(dict(inv))
    services = data["services"]
    services["bind_address"] = "0.0.0.0"
    for name, svc in services.items():
        if name != "bind_address":
            svc["address"] = name
    services["cadvisor"]["enabled"] = True
    site = data["sites"][0]
    data["sites"] = [{**site, "video_storage_root": VIDEO_ROOT, "storage_mountpoint": "/"}]
    if inv["pipeline"].get("hmac_key"):
        data["pipeline"]["hmac_key"] = {"file": _in_container(HMAC_SECRET)}
    # Receiver secrets reach the init service as compose secrets, named as below.
    for rec in data["alerting"]["receivers"]:
        for key in receiver_secrets(rec):
            rec[key] = {"env": _receiver_secret_name(rec, key)}
    return data


def compose_addressing(inv: Inventory) -> Addressing:
    site = inv.sites[0]
    return Addressing([{**site, "hosts": site["hosts"][:1]}],
                      lambda s, h, component: component, lambda component: component)


def _in_container(secret: str) -> str:
    return f"{SECRETS_IN_CONTAINER}/{secret}"


def _port(inv: dict, name: str) -> int:
    return inv["services"][name]["port"]


def _published(inv: dict, name: str) -> list[str]:
    """Reachable from the host's loopback only; put a proxy in front for anything else."""
    return [f"127.0.0.1:{_port(inv, name)}:{_port(inv, name)}"]


def _service(image: str, **extra) -> dict:
    return {"image": image, "restart": "unless-stopped", **extra}


def compose_file(inv: Inventory) -> dict:
    cinv = compose_inventory(inv)
    p = lambda name: _port(cinv, name)  # noqa: E731
    services: dict[str, dict] = {
        "prometheus": _service(
            IMAGES["prometheus"], ports=_published(cinv, "prometheus"),
            volumes=["./prometheus/prometheus.yml:/etc/prometheus/prometheus.yml:ro",
                     f"{GEN}/prometheus/rules:/etc/prometheus/rules:ro", "prometheus_data:/prometheus"],
            command=["--config.file=/etc/prometheus/prometheus.yml", "--storage.tsdb.path=/prometheus",
                     f"--web.listen-address=:{p('prometheus')}", "--web.enable-lifecycle"]),
        AM_INIT_SERVICE: {
            "image": PIPELINE_IMAGE, "build": dict(PIPELINE_BUILD),
            "restart": "no", "user": "0:0",   # root, to hand the files to AM_USER
            "command": ["python", "-m", "vvdash", "--inventory", INVENTORY_IN_CONTAINER, "alertmanager-config",
                        "--out", AM_RUNTIME_DIR, "--secrets-dir", SECRETS_IN_CONTAINER, "--owner", AM_USER],
            "volumes": [f"./vvdash.yaml:{INVENTORY_IN_CONTAINER}:ro", f"{AM_RUNTIME_VOLUME}:{AM_RUNTIME_DIR}"]},
        "alertmanager": _service(
            IMAGES["alertmanager"], ports=_published(cinv, "alertmanager"), user=AM_USER,
            volumes=[f"{AM_RUNTIME_VOLUME}:{AM_RUNTIME_DIR}:ro", "alertmanager_data:/alertmanager"],
            command=[f"--config.file={AM_RUNTIME_DIR}/{RUNTIME_CONFIG}", "--storage.path=/alertmanager",
                     f"--web.listen-address=:{p('alertmanager')}"],
            depends_on={AM_INIT_SERVICE: {"condition": "service_completed_successfully"}}),
        "pushgateway": _service(IMAGES["pushgateway"], expose=[str(p("pushgateway"))],
                                command=[f"--web.listen-address=:{p('pushgateway')}"]),
        "node_exporter": _service(
            IMAGES["node_exporter"], expose=[str(p("node_exporter"))], pid="host",
            volumes=["/:/host:ro,rslave"],
            command=["--path.rootfs=/host", f"--web.listen-address=:{p('node_exporter')}"]),
        "blackbox_exporter": _service(
            IMAGES["blackbox_exporter"], expose=[str(p("blackbox_exporter"))],
            volumes=[f"{GEN}/{BLACKBOX_PATH}:/etc/blackbox_exporter/config.yml:ro"],
            command=["--config.file=/etc/blackbox_exporter/config.yml",
                     f"--web.listen-address=:{p('blackbox_exporter')}"]),
        "cadvisor": _service(
            IMAGES["cadvisor"], expose=[str(p("cadvisor"))], privileged=True,
            volumes=["/:/rootfs:ro", "/var/run:/var/run:ro", "/sys:/sys:ro", "/var/lib/docker/:/var/lib/docker:ro"],
            command=[f"--port={p('cadvisor')}"]),
        "grafana": _service(
            IMAGES["grafana"], ports=_published(cinv, "grafana"),
            volumes=[f"./{DATASOURCES_DIR}:/etc/grafana/provisioning/datasources:ro",
                     f"{GEN}/grafana/provisioning/dashboards:/etc/grafana/provisioning/dashboards:ro",
                     f"{GEN}/dashboards:{grafana_provisioning.DASHBOARDS_PATH}:ro", "grafana_data:/var/lib/grafana"],
            environment={"GF_SERVER_HTTP_PORT": str(p("grafana")),
                         "GF_SECURITY_ADMIN_PASSWORD__FILE": _in_container(GRAFANA_PASSWORD_SECRET)},
            secrets=[GRAFANA_PASSWORD_SECRET], depends_on=["prometheus"]),
    }
    # What every alert's runbook_url opens (vvdash.linkserver on the vvdash image). Published on
    # every interface, unlike Grafana: it is a static page that holds no secret.
    services[RUNBOOK_SERVICE] = _service(
        PIPELINE_IMAGE, build=dict(PIPELINE_BUILD),
        ports=[f"{p('runbook_server')}:{p('runbook_server')}"],
        command=["python", "-m", "vvdash.linkserver", "--address", "0.0.0.0", "--port", str(p("runbook_server")),
                 "--runbook", RUNBOOK_IN_CONTAINER],
        volumes=[f"{GEN}/{RUNBOOK_PATH}:{RUNBOOK_IN_CONTAINER}:ro"])
    if cinv["services"]["nginx_exporter"].get("enabled", True):
        services["nginx_exporter"] = _service(IMAGES["nginx_exporter"], expose=[str(p("nginx_exporter"))],
                                              command=[f"-web.listen-address=:{p('nginx_exporter')}"])
    password = inv["grafana"].get("password", {"env": GRAFANA_PASSWORD_ENV})
    secrets = {GRAFANA_PASSWORD_SECRET: _compose_source(inv, password)}
    if inv["pipeline"].get("hmac_key"):
        secrets[HMAC_SECRET] = _compose_source(inv, inv["pipeline"]["hmac_key"])
    receiver_sources = _receiver_secret_sources(inv)
    if receiver_sources:     # each at /run/secrets/NAME in the init service
        services[AM_INIT_SERVICE]["secrets"] = list(receiver_sources)
        secrets.update(receiver_sources)
    for name in PIPELINE_SERVICES:
        svc = _service(PIPELINE_IMAGE, build=dict(PIPELINE_BUILD), container_name=name, expose=[str(p(name))],
                       command=["python", "-m", f"pipeline.{name}", "--inventory", INVENTORY_IN_CONTAINER],
                       volumes=[f"./vvdash.yaml:{INVENTORY_IN_CONTAINER}:ro", f"video_storage:{VIDEO_ROOT}"])
        if name in HMAC_KEY_USERS and HMAC_SECRET in secrets:
            svc["secrets"] = [HMAC_SECRET]     # mounted where the compose inventory's hmac_key points
        if name == "self_monitor":   # restarts the other containers through the Docker socket
            svc["volumes"].append("/var/run/docker.sock:/var/run/docker.sock")
            svc["group_add"] = [DOCKER_GID]
        services[name] = svc
    return {
        "name": "vv-video-ai",
        "services": services,
        "volumes": {"prometheus_data": {}, "alertmanager_data": {}, AM_RUNTIME_VOLUME: {}, "grafana_data": {},
                    "video_storage": {}},
        "secrets": secrets,
    }


def _compose_source(inv: Inventory, ref: dict) -> dict:
    """A compose secret's source for an inventory reference. A relative file is taken from the
    inventory's folder, as resolve_secret does, so it is written absolute (compose would take it
    from generated/compose/)."""
    return {"environment": ref["env"]} if "env" in ref else {"file": str(secret_file(ref, inv.path.parent))}


def _receiver_secret_name(rec: dict, key: str) -> str:
    ref = rec[key]
    # A file reference gets a name the inventory accepts as {env: NAME} (the compose inventory uses it).
    return ref["env"] if "env" in ref else re.sub(r"[^A-Z0-9_]", "_", f"{rec['name']}_{key}".upper())


def _receiver_secret_sources(inv) -> dict[str, dict]:
    """Compose secrets of the Alertmanager receivers, by name."""
    sources = {}
    for rec in inv["alerting"]["receivers"]:
        for key, ref in receiver_secrets(rec).items():
            sources[_receiver_secret_name(rec, key)] = _compose_source(inv, ref)
    return dict(sorted(sources.items()))


def compose_header(inv: Inventory) -> str:
    """The generated header, plus a warning for receivers that cannot deliver from a container."""
    loopback = [f"{rec['name']} ({rec['url']})" for rec in inv["alerting"]["receivers"]
                if rec["type"] == "webhook" and isinstance(rec["url"], str)
                and is_loopback(urlsplit(rec["url"]).hostname)]
    if not loopback:
        return GENERATED_HEADER
    return GENERATED_HEADER + (
        "\n\nWarning: these Alertmanager webhook receivers use loopback URLs, which inside the"
        "\nalertmanager container reach the container itself, so they deliver nothing here:"
        f"\n  {', '.join(loopback)}"
        "\nGive their URLs as secret references ({env: NAME}) in vvdash.yaml to reach a real endpoint.")


def emit(project) -> dict[str, bytes]:
    inv = project.inventory
    cinv = compose_inventory(inv)
    prom = render(Inventory(cinv, inv.path), compose_addressing(inv))
    files = {f"compose/{path}": content for path, content in prom.items()}
    files[f"compose/{DATASOURCES_DIR}/vvdash.yaml"] = dump_yaml(
        grafana_provisioning.datasource(Inventory(cinv, inv.path)), GENERATED_HEADER)
    files[COMPOSE_PATH] = dump_yaml(compose_file(inv), compose_header(inv), sort_keys=False)
    files[INVENTORY_PATH] = dump_yaml(cinv, GENERATED_HEADER + (
        "\nThe inventory inside the compose containers (rendered from vvdash.yaml)."
        f"\nSecrets are compose secrets under {SECRETS_IN_CONTAINER}: a receiver's {{env: NAME}} is read by"
        f"\n`vvdash alertmanager-config` from the environment or, failing that, {_in_container('NAME')}."),
        sort_keys=False)
    return files
