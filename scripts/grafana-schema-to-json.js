// Turn @grafana/schema's TypeScript types into JSON Schemas (unknown keys refused).
// Usage: node grafana-schema-to-json.js <folder with node_modules> <output folder>
// Writes <out>/panels/<panel dir>.json = {"Options": schema, "FieldConfig": schema} for every
// composable panel of the package.
"use strict";
const fs = require("fs");
const path = require("path");
const [root, out] = process.argv.slice(2);
const tsj = require(path.resolve(root, "node_modules/ts-json-schema-generator"));
const raw = path.resolve(root, "node_modules/@grafana/schema/dist/types/raw");
const tsconfig = path.join(out, "tsconfig.json");
fs.mkdirSync(path.join(out, "panels"), { recursive: true });
fs.writeFileSync(tsconfig, JSON.stringify({ compilerOptions: { strict: true, skipLibCheck: true,
  moduleResolution: "node", module: "commonjs", target: "es2020" } }));

function schemaOf(file, type) {
  // additionalProperties false (the generator's default): a key the type does not declare is an error.
  const gen = tsj.createGenerator({ path: file, type, tsconfig, skipTypeCheck: true, expose: "export",
                                    topRef: true, additionalProperties: false, jsDoc: "none" });
  return gen.createSchema(type);
}

// The defaults @grafana/schema declares for a type: the panel module's defaultOptions/defaultFieldConfig,
// merged over those of the common types it extends (e.g. table's Options extends ui.TableOptions).
const { pathToFileURL } = require("url");
const esm = path.resolve(root, "node_modules/@grafana/schema/dist/esm/raw");
async function defaultsOf(dir, text, type, common) {
  const out = {};
  const bases = (text.match(new RegExp(`export interface ${type} extends ([^{]+)\\{`)) || [, ""])[1];
  for (const base of bases.split(",").map((b) => b.trim().split(".").pop()).filter(Boolean)) {
    Object.assign(out, common[`default${base}`] || {});
  }
  const file = path.join(esm, "composable", dir, "panelcfg/x/types.gen.mjs");
  if (fs.existsSync(file)) Object.assign(out, (await import(pathToFileURL(file).href))[`default${type}`] || {});
  return out;
}

const version = JSON.parse(fs.readFileSync(path.join(raw, "../../../package.json"))).version;
const composable = path.join(raw, "composable");
let count = 0;
(async () => {
const common = await import(pathToFileURL(path.resolve(root, "node_modules/@grafana/schema/dist/esm/common/common.gen.mjs")).href);
for (const dir of fs.readdirSync(composable).sort()) {
  const file = path.join(composable, dir, "panelcfg/x/types.gen.d.ts");
  if (!fs.existsSync(file)) continue;
  const text = fs.readFileSync(file, "utf8");
  const entry = { version };
  for (const type of ["Options", "FieldConfig"]) {
    if (!new RegExp(`export (interface|type) ${type}\\b`).test(text)) continue;
    try {
      entry[type] = schemaOf(file, type);
    } catch (err) {  // a panel the generator cannot read; the tests fail only if a dashboard uses it
      entry.errors = [...(entry.errors || []), `${type}: ${String(err.message || err).split("\n")[0]}`];
    }
    entry.defaults = { ...(entry.defaults || {}), [type]: await defaultsOf(dir, text, type, common) };
  }
  fs.writeFileSync(path.join(out, "panels", `${dir}.json`), JSON.stringify(entry, null, 1));
  count++;
}
console.log(`grafana-schema: @grafana/schema ${version}: ${count} panel types as JSON Schema in ${out}`);
})();
