#!/bin/sh
# What `vvdash preview` needs beyond the venv: Debian's chromium (for --screenshots and the
# browser tests) and the chart library from npm, installed into the git-ignored .tools/preview/.
# Idempotent: does nothing when both are there; works offline once installed.
set -eu
cd "$(dirname "$0")/.."
ECHARTS_VERSION=5.6.0
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
apt_install() {
    echo "installing Debian packages: $*"
    # Empty package lists on a fresh machine: fetch them once.
    if [ -z "$(ls -A /var/lib/apt/lists 2>/dev/null | grep -v -e lock -e partial)" ]; then
        $SUDO apt-get update -qq
    fi
    export DEBIAN_FRONTEND=noninteractive
    if ! $SUDO apt-get install -y -qq --no-install-recommends "$@" >/tmp/vvdash-apt-preview.log 2>&1; then
        $SUDO apt-get update -qq
        $SUDO apt-get install -y -qq --no-install-recommends "$@"
    fi
}
command -v chromium >/dev/null 2>&1 || apt_install chromium fonts-dejavu-core
dest=.tools/preview
if [ "$(cat "$dest/node_modules/echarts/package.json" 2>/dev/null | sed -n 's/.*"version": *"\([^"]*\)".*/\1/p' | head -1)" != "$ECHARTS_VERSION" ]; then
    command -v npm >/dev/null 2>&1 || apt_install npm
    echo "installing echarts $ECHARTS_VERSION into $dest"
    mkdir -p "$dest"
    npm install --silent --no-audit --no-fund --no-save --prefix "$dest" "echarts@$ECHARTS_VERSION" >/dev/null
fi
