# The vvdash image: the pipeline services and the vvdash CLI (e.g. `vvdash alertmanager-config`),
# installed from this source tree. Built by `docker compose build` from generated/compose/.
# Nothing site-specific or secret is baked in: the inventory is mounted at run time and secrets
# arrive as compose secrets or environment variables.

# self_monitor restarts containers with the docker CLI (a static binary; the engine is the host's).
FROM docker:27.3.1-cli AS docker-cli

FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# opencv-python-headless and numpy wheels bundle their libraries; beyond them cv2 needs only
# libc, libstdc++, libgcc_s and zlib, which the slim base already has: no apt packages.
COPY --from=docker-cli /usr/local/bin/docker /usr/local/bin/docker

WORKDIR /src
COPY pyproject.toml README.md ./
COPY vvdash ./vvdash
COPY pipeline ./pipeline
COPY dashboards ./dashboards
COPY rules ./rules
COPY shared ./shared
RUN pip install . \
    && rm -rf /src

# /data/video is owned by the service user so that a new named volume mounted there is writable.
RUN useradd --system --uid 10001 --user-group --create-home --home-dir /home/vvdash \
        --shell /usr/sbin/nologin vvdash \
    && mkdir -p /data/video \
    && chown vvdash:vvdash /data/video
USER vvdash
WORKDIR /home/vvdash

# Each compose service gives its own command (`python -m pipeline.<service> ...`).
CMD ["vvdash", "--help"]
