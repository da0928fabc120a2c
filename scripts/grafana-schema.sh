#!/bin/sh
# Grafana's panel option types (@grafana/schema, from the npm registry) as JSON Schemas, for the
# dashboard tests (tests/dashboards/test_dashboards_grafana_schema.py): the release the dashboards are
# written for, and the oldest lines they must still import on. Nothing of it is committed: it lives in the
# git-ignored .cache/grafana-schema/. A second run with the same versions does nothing.
set -eu
cd "$(dirname "$0")/.."
WRITTEN_FOR="12.4.11"             # = vvdash/model/dashboards.py GRAFANA_VERSION (a test checks)
STILL_IMPORTS="11.6.16 10.4.19"   # the latest patch of Grafana 11 and of 10.4
GENERATOR_VERSION="2.4.0"         # ts-json-schema-generator; the last release that runs on Node 18/20
DEST=".cache/grafana-schema"
FORMAT=2                          # of the converter's output; raise it when grafana-schema-to-json.js changes
STAMP="$DEST/json/.done-$WRITTEN_FOR-${STILL_IMPORTS% *}-${STILL_IMPORTS#* }-$GENERATOR_VERSION-$FORMAT"
[ -f "$STAMP" ] && exit 0
if ! command -v npm >/dev/null 2>&1; then
    echo "grafana-schema: npm not found; install Node.js (Debian: apt-get install nodejs npm)" >&2
    exit 1
fi
install() {   # install FOLDER PACKAGE VERSION: one package in a folder of its own
    mkdir -p "$1"
    printf '{"name": "vvdash-grafana-schema", "private": true, "version": "0.0.0", "dependencies": {"%s": "%s"}}\n' \
        "$2" "$3" > "$1/package.json"
    (cd "$1" && npm install --no-audit --no-fund --loglevel=error >/dev/null)
}
# The installs wait on the registry, not the CPU: all at once. Each release in a folder of its own: its
# types import '@grafana/schema', which must resolve to that release.
install "$DEST/generator" ts-json-schema-generator "$GENERATOR_VERSION" & pids=$!
for version in $WRITTEN_FOR $STILL_IMPORTS; do
    install "$DEST/$version" @grafana/schema "$version" & pids="$pids $!"
done
for pid in $pids; do wait "$pid"; done
rm -rf "$DEST/json"
for version in $WRITTEN_FOR $STILL_IMPORTS; do
    node scripts/grafana-schema-to-json.js "$DEST/generator" "$DEST/$version" "$DEST/json/$version"
done
touch "$STAMP"
