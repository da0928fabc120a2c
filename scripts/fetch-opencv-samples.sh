#!/bin/sh
# OpenCV's sample clips (Debian package opencv-doc, examples/data) for the pipeline's real-footage
# tests and benchmark. Uses the installed package when there is one; otherwise downloads the .deb
# with apt-get and unpacks it into the git-ignored .tools/opencv-doc (never installed, never committed).
set -eu
cd "$(dirname "$0")/.."
DATA=usr/share/doc/opencv-doc/examples/data
[ -f "/$DATA/vtest.avi" ] && exit 0
[ -f ".tools/opencv-doc/$DATA/vtest.avi" ] && exit 0
# Empty package lists on a fresh machine: fetch them once.
if [ -z "$(ls -A /var/lib/apt/lists 2>/dev/null | grep -v -e lock -e partial)" ]; then
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    $SUDO apt-get update -qq
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
echo "fetching opencv-doc (OpenCV's sample clips) into .tools/opencv-doc"
(cd "$work" && apt-get download -qq opencv-doc 2>/dev/null)
mkdir -p .tools/opencv-doc
dpkg -x "$work"/opencv-doc_*.deb .tools/opencv-doc
test -f ".tools/opencv-doc/$DATA/vtest.avi"
