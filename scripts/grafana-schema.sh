#!/bin/sh
# Grafana's panel option types (@grafana/schema, from the npm registry) as JSON Schemas, for the
# dashboard tests (tests/dashboards/test_dashboards_grafana_schema.py). Nothing of it is committed:
# it lives in the git-ignored .cache/grafana-schema/. A second run with the same versions does nothing.
set -eu
cd "$(dirname "$0")/.."
SCHEMA_VERSION="12.4.11"          # = vvdash/model/dashboards.py GRAFANA_VERSION (a test checks)
GENERATOR_VERSION="2.4.0"         # ts-json-schema-generator; the last release that runs on Node 18/20
DEST=".cache/grafana-schema"
STAMP="$DEST/json/.done-$SCHEMA_VERSION-$GENERATOR_VERSION-2"   # -N: the converter's output format
[ -f "$STAMP" ] && exit 0
if ! command -v npm >/dev/null 2>&1; then
    echo "grafana-schema: npm not found; install Node.js (Debian: apt-get install nodejs npm)" >&2
    exit 1
fi
mkdir -p "$DEST"
cat > "$DEST/package.json" <<JSON
{"name": "vvdash-grafana-schema", "private": true, "version": "0.0.0",
 "dependencies": {"@grafana/schema": "$SCHEMA_VERSION", "ts-json-schema-generator": "$GENERATOR_VERSION"}}
JSON
(cd "$DEST" && npm install --no-audit --no-fund --loglevel=error >/dev/null)
rm -rf "$DEST/json"
node scripts/grafana-schema-to-json.js "$DEST" "$DEST/json"
touch "$STAMP"
