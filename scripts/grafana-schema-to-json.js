// Turn @grafana/schema's TypeScript types into JSON Schemas (unknown keys refused).
// Usage: node grafana-schema-to-json.js <folder with the generator> <folder with @grafana/schema> <output folder>
// Writes <out>/panels/<panel dir>.json = {"Options": schema, "FieldConfig": schema} for every
// composable panel of the package.
"use strict";
const fs = require("fs");
const path = require("path");
const { pathToFileURL } = require("url");
const [generator, root, out] = process.argv.slice(2);
const tsj = require(path.resolve(generator, "node_modules/ts-json-schema-generator"));
const dist = path.resolve(root, "node_modules/@grafana/schema/dist");
// 12.x keeps the declarations in dist/types, 10.4 and 11 beside the code in dist/esm.
const raw = path.join(dist, fs.existsSync(path.join(dist, "types/raw")) ? "types/raw" : "esm/raw");
const esm = path.join(dist, "esm/raw");
function typesFile(dir) {   // types.gen.d.ts (12.x) or <Name>PanelCfg_types.gen.d.ts (10.4, 11)
  const folder = path.join(raw, "composable", dir, "panelcfg/x");
  if (!fs.existsSync(folder)) return null;
  const name = fs.readdirSync(folder).sort().find((f) => f.endsWith("types.gen.d.ts"));
  return name ? path.join(folder, name) : null;
}
async function load(file) {  // an ES module's exports; {} when it is missing or not loadable as one
  try {
    return fs.existsSync(file) ? await import(pathToFileURL(file).href) : {};
  } catch (err) {
    return {};
  }
}
const tsconfig = path.join(out, "tsconfig.json");
fs.mkdirSync(path.join(out, "panels"), { recursive: true });
fs.writeFileSync(tsconfig, JSON.stringify({ compilerOptions: { strict: true, skipLibCheck: true,
  moduleResolution: "node", module: "commonjs", target: "es2020" } }));

function generatorFor(file) {
  // additionalProperties false (the generator's default): a key the type does not declare is an error.
  // One generator per file: building the TypeScript program is the slow part.
  return tsj.createGenerator({ path: file, tsconfig, skipTypeCheck: true, expose: "export", topRef: true,
                               additionalProperties: false, jsDoc: "none" });
}

// The defaults @grafana/schema declares for a type: the panel module's defaultOptions/defaultFieldConfig,
// merged over those of the common types it extends (e.g. table's Options extends ui.TableOptions).
async function defaultsOf(dir, text, type, common) {
  const out = {};
  const bases = (text.match(new RegExp(`export interface ${type} extends ([^{]+)\\{`)) || [, ""])[1];
  for (const base of bases.split(",").map((b) => b.trim().split(".").pop()).filter(Boolean)) {
    Object.assign(out, common[`default${base}`] || {});
  }
  Object.assign(out, (await load(path.join(esm, "composable", dir, "panelcfg/x/types.gen.mjs")))[`default${type}`] || {});
  return out;
}

const version = JSON.parse(fs.readFileSync(path.join(dist, "../package.json"))).version;
const composable = path.join(raw, "composable");
let count = 0;
(async () => {
const common = await load(path.join(dist, "esm/common/common.gen.mjs"));
for (const dir of fs.readdirSync(composable).sort()) {
  const file = typesFile(dir);
  if (!file) continue;
  const text = fs.readFileSync(file, "utf8");
  const entry = { version };
  const gen = generatorFor(file);
  for (const type of ["Options", "FieldConfig"]) {
    if (!new RegExp(`export (interface|type) ${type}\\b`).test(text)) continue;
    try {
      entry[type] = gen.createSchema(type);
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
