#!/bin/sh
# Install the Debian Prometheus packages whose binaries are missing.
# Idempotent: does nothing when every binary is on PATH.
set -eu
missing=""
need() { command -v "$1" >/dev/null 2>&1 || missing="$missing $2"; }
need promtool prometheus
need prometheus prometheus
need prometheus-alertmanager prometheus-alertmanager
need amtool prometheus-alertmanager
need prometheus-pushgateway prometheus-pushgateway
need prometheus-node-exporter prometheus-node-exporter
need prometheus-blackbox-exporter prometheus-blackbox-exporter
[ -z "$missing" ] && exit 0
pkgs=$(echo "$missing" | tr ' ' '\n' | sort -u | tr '\n' ' ')
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
echo "installing Debian packages:$pkgs"
# Empty package lists on a fresh machine: fetch them once.
if [ -z "$(ls -A /var/lib/apt/lists 2>/dev/null | grep -v -e lock -e partial)" ]; then
    $SUDO apt-get update -qq
fi
# Packaged services must not start on their default ports during install.
export DEBIAN_FRONTEND=noninteractive
if ! $SUDO apt-get install -y -qq --no-install-recommends $pkgs >/tmp/vvdash-apt.log 2>&1; then
    $SUDO apt-get update -qq
    $SUDO apt-get install -y -qq --no-install-recommends $pkgs
fi
