// The dashboard page: time picker, variables, layout on Grafana's 24-column grid, rows,
// annotations, auto-refresh; each panel queried through the preview server and drawn by panels.js.
"use strict";
(function (VV) {
  const GRID_CELL = 30, GRID_GAP = 8;                    // Grafana's grid: 30 px rows, 8 px margins
  const RANGES = ["15m", "1h", "6h", "24h", "7d"];
  const REFRESHES = ["off", "5s", "10s", "30s", "1m", "5m"];
  const UNIT_MS = { ms: 1, s: 1e3, m: 6e4, h: 36e5, d: 864e5, w: 6048e5, y: 31536e6 };
  const state = { vars: {}, round: 0, charts: new Map(), timer: null, annotations: Promise.resolve([]) };
  // What tests, screenshots and the benchmark read: panel states, rounds, timings (ms since navigation).
  const report = (window.__preview = { round: 0, done: false, prometheusMs: 0, drawnMs: null, variablesMs: null, panels: {} });

  function durMs(text) {
    let total = 0, pos = 0;
    const re = /(\d+(?:\.\d+)?)(ms|s|m|h|d|w|y)/g;
    let m;
    while ((m = re.exec(text)) && m.index === pos) { total += parseFloat(m[1]) * UNIT_MS[m[2]]; pos = re.lastIndex; }
    return pos === text.length && text.length ? total : null;
  }
  function parseTime(text, now) {
    if (text === undefined || text === null || text === "") return null;
    if (/^\d+$/.test(text)) return parseInt(text, 10);
    if (text === "now") return now;
    const m = /^now-(.+)$/.exec(text);
    if (m && durMs(m[1]) !== null) return now - durMs(m[1]);
    const d = Date.parse(text);
    return isNaN(d) ? null : d;
  }
  function timeRange() {
    const now = Date.now();
    const from = parseTime(state.from, now), to = parseTime(state.to, now);
    return from !== null && to !== null && from < to ? { from, to } : { from: now - 6 * 36e5, to: now };
  }
  async function post(path, body) {
    const r = await fetch(path, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
    const j = await r.json();
    if (!r.ok) throw new Error(j.error || `HTTP ${r.status}`);
    return j;
  }
  const el = (tag, cls, text) => { const e = document.createElement(tag); if (cls) e.className = cls; if (text !== undefined) e.textContent = text; return e; };

  // -- variables ---------------------------------------------------------------------
  function varPayload() {
    const out = {};
    for (const [name, v] of Object.entries(state.vars)) {
      const d = v.def;
      if (v.all && d.allValue) out[name] = { values: [d.allValue], raw: true };
      else out[name] = { values: v.all ? v.options : v.selected, regex: !!(d.multi || d.includeAll) };
    }
    return out;
  }
  function sortOptions(values, sort) {
    const num = (s) => { const m = /-?\d+(\.\d+)?/.exec(s); return m ? parseFloat(m[0]) : NaN; };
    const a = values.slice();
    if (sort === 1) a.sort(); else if (sort === 2) a.sort().reverse();
    else if (sort === 3) a.sort((x, y) => num(x) - num(y)); else if (sort === 4) a.sort((x, y) => num(y) - num(x));
    else if (sort === 5) a.sort((x, y) => x.toLowerCase().localeCompare(y.toLowerCase()));
    else if (sort === 6) a.sort((x, y) => y.toLowerCase().localeCompare(x.toLowerCase()));
    return a;
  }
  async function loadVariable(d, urlValues) {
    const prev = state.vars[d.name];
    const v = { def: d, options: [], selected: [], all: false, error: null };
    const query = typeof d.query === "object" && d.query ? d.query.query || "" : d.query || "";
    if (d.type === "datasource") v.options = ["Prometheus"];
    else if (d.type === "query") {
      const r = await post("/api/preview/variable", { query, vars: varPayload(), ...timeRange() }).catch((e) => ({ error: String(e) }));
      if (r.prometheus_ms) report.prometheusMs += r.prometheus_ms;
      if (r.error) { v.error = r.error; console.error(`preview: variable ${d.name}: ${r.error}`); }
      let opts = r.values || [];
      // The variable's regex filters the options; a capture group (or a named "value" group) is the value.
      if (d.regex) {
        try {
          const re = new RegExp(d.regex.replace(/^\/(.*)\/[a-z]*$/, "$1"));
          const picked = [];
          for (const o of opts) {
            const m = re.exec(o);
            if (!m) continue;
            const val = (m.groups && m.groups.value) || (m.length > 1 ? m[1] : o);
            if (val !== undefined && !picked.includes(val)) picked.push(val);
          }
          opts = picked;
        } catch (e) { v.error = `bad regex ${d.regex}`; }
      }
      v.options = sortOptions(opts, d.sort || 0);
    } else if (d.type === "custom" || d.type === "interval") v.options = query.split(",").map((s) => s.trim()).filter(Boolean);
    else if (d.type === "constant" || d.type === "textbox") v.options = [query];
    else v.error = `variable type '${d.type}' is not supported by the preview`;
    let want = urlValues && urlValues.length ? urlValues : prev ? (prev.all ? ["$__all"] : prev.selected) : null;
    if (!want && d.current && d.current.value !== undefined) want = [].concat(d.current.value);
    if (want && want.includes("$__all") && d.includeAll) v.all = true;
    else if (want) v.selected = want.filter((x) => v.options.includes(x));
    if (!v.all && !v.selected.length) { if (d.includeAll) v.all = true; else if (v.options.length) v.selected = [v.options[0]]; }
    if (!d.multi && v.selected.length > 1) v.selected = v.selected.slice(0, 1);
    state.vars[d.name] = v;
    return v;
  }
  function varLabel(v) { return v.all ? "All" : v.selected.join(" + ") || "None"; }
  function drawVariable(v) {
    const d = v.def;
    const box = el("div", "var");
    box.id = `var-${d.name}`;
    box.dataset.name = d.name;
    if (d.hide === 2) box.style.display = "none";
    if (d.hide !== 1) box.appendChild(el("span", "var-label", d.label || d.name));
    if (v.error) box.appendChild(el("span", "var-error", v.error));
    const dd = el("details", "var-picker");
    const sum = el("summary", "var-value", varLabel(v));
    dd.appendChild(sum);
    const list = el("div", "var-options");
    const choices = (d.includeAll ? ["$__all"] : []).concat(v.options);
    for (const opt of choices) {
      const lab = el("label", "var-option");
      const input = el("input");
      input.type = d.multi ? "checkbox" : "radio";
      input.name = `opt-${d.name}`;
      input.value = opt;
      input.checked = opt === "$__all" ? v.all : !v.all && v.selected.includes(opt);
      input.addEventListener("change", () => onPick(d.name, opt, input.checked));
      lab.appendChild(input);
      lab.appendChild(document.createTextNode(opt === "$__all" ? "All" : opt));
      list.appendChild(lab);
    }
    dd.appendChild(list);
    box.appendChild(dd);
    return box;
  }
  async function onPick(name, opt, checked) {
    const v = state.vars[name];
    if (opt === "$__all") { v.all = true; v.selected = []; }
    else if (!v.def.multi) { v.all = false; v.selected = [opt]; }
    else {
      const cur = v.all ? [] : v.selected.filter((x) => x !== opt);
      v.all = false;
      v.selected = checked ? cur.concat([opt]) : cur;
      if (!v.selected.length) v.all = !!v.def.includeAll;
    }
    // Variables after this one may depend on it: reload them, keeping their choices where valid.
    const list = state.dash.templating.list;
    const at = list.findIndex((d) => d.name === name);
    for (const d of list.slice(at + 1)) await loadVariable(d, null);
    writeUrl();
    drawVarBar();
    refresh();
  }
  function drawVarBar() {
    const bar = document.getElementById("vars");
    bar.textContent = "";
    for (const d of state.dash.templating ? state.dash.templating.list : []) bar.appendChild(drawVariable(state.vars[d.name]));
  }

  // -- URL -----------------------------------------------------------------------------
  function queryParams(names, withTime) {
    const p = new URLSearchParams();
    if (withTime) { p.set("from", state.from); p.set("to", state.to); }
    for (const name of names) {
      const v = state.vars[name];
      if (!v || v.def.type === "constant") continue;
      if (v.all) p.append(`var-${name}`, "$__all"); else for (const s of v.selected) p.append(`var-${name}`, s);
    }
    return p;
  }
  function writeUrl() {
    const p = queryParams(Object.keys(state.vars), true);
    if (state.refresh && state.refresh !== "off") p.set("refresh", state.refresh);
    history.replaceState(null, "", `${location.pathname}?${p.toString().replace(/%24/g, "$")}`);
  }
  // ${__url_time_range}, ${var:queryparam}, $var in link URLs, as Grafana fills them.
  function linkUrl(url) {
    if (!/^(https?:\/\/|\/|\?|#)/i.test(url.trim())) return "#";      // no javascript: or other schemes
    return url.replace(/\$\{__url_time_range\}/g, `from=${encodeURIComponent(state.from)}&to=${encodeURIComponent(state.to)}`)
      .replace(/\$\{([A-Za-z0-9_]+):queryparam\}/g, (_, n) => queryParams([n], false).toString().replace(/%24/g, "$"))
      .replace(/\$\{([A-Za-z0-9_]+)\}|\$([A-Za-z_][A-Za-z0-9_]*)/g, (m, a, b) => {
        const v = state.vars[a || b];
        return v ? encodeURIComponent(v.all ? "$__all" : v.selected.join(",")) : m;
      });
  }

  // -- annotations: firing alerts from ALERTS as time regions ---------------------------
  function loadAnnotations(range) {
    const list = ((state.dash.annotations || {}).list || []).filter((a) => a.enable !== false && a.expr && !a.builtIn);
    return Promise.all(list.map(async (a) => {
      const r = await post("/api/preview/query", { ...range, maxDataPoints: 1000, vars: varPayload(),
        queries: [{ refId: "A", expr: a.expr, interval: a.step || "" }] }).catch(() => null);
      const res = r && r.results.A;
      if (res && res.prometheus_ms) report.prometheusMs += res.prometheus_ms;
      if (!res || res.error) return [];
      const regions = [];
      for (const s of res.data.result || []) {
        const fill = (fmt) => (fmt || "").replace(/\{\{\s*([A-Za-z0-9_]+)\s*\}\}/g, (_, k) => s.metric[k] || "");
        let start = null, last = null;
        const close = () => { if (start !== null) regions.push({ start, end: last, color: VV.color(a.iconColor), title: fill(a.titleFormat) || s.metric.alertname, text: fill(a.textFormat) }); };
        for (const [t] of s.values) {
          const ms = t * 1000;
          if (last !== null && ms - last > res.step_ms * 1.5) { close(); start = null; }
          if (start === null) start = ms;
          last = ms;
        }
        close();
      }
      return regions;
    })).then((x) => x.flat());
  }

  // -- panels ----------------------------------------------------------------------------
  function toNumber(s) { return s === "+Inf" ? Infinity : s === "-Inf" ? -Infinity : parseFloat(s); }
  function framesOf(target, res) {
    const data = res.data || {};
    const frames = [];
    const mk = (labels, points) => {
      const times = [], values = [];
      for (const [t, v] of points) {
        const ms = Math.round(t * 1000);
        if (times.length && ms - times[times.length - 1] > res.step_ms * 1.5) { times.push(times[times.length - 1] + res.step_ms); values.push(null); }
        times.push(ms); values.push(toNumber(v));
      }
      return { refId: target.refId, labels, name: VV.seriesName(labels, target.legendFormat, res.expr), times, values };
    };
    if (data.resultType === "matrix") for (const s of data.result) frames.push(mk(s.metric, s.values));
    else if (data.resultType === "vector") for (const s of data.result) frames.push(mk(s.metric, [s.value]));
    else if (data.resultType === "scalar") frames.push(mk({}, [data.result]));
    if (target.format === "heatmap") {              // cumulative le buckets -> counts per bucket, by le
      const le = (f) => (f.labels.le === "+Inf" ? Infinity : parseFloat(f.labels.le));
      frames.sort((a, b) => le(a) - le(b));
      for (let i = frames.length - 1; i > 0; i--) {
        frames[i].values = frames[i].values.map((v, j) => (v === null || frames[i - 1].values[j] === null ? v : v - frames[i - 1].values[j]));
      }
      frames.forEach((f) => { f.name = f.labels.le !== undefined ? f.labels.le : f.name; });
    }
    return frames;
  }

  function panelBox(p) {
    const box = el("div", "panel");
    box.dataset.panelId = p.id;
    box.dataset.type = p.type;
    box.dataset.title = p.title || "";
    box.dataset.state = "loading";
    const head = el("div", "panel-header");
    head.appendChild(el("span", "panel-title", p.title || ""));
    if (p.description) { const i = el("span", "panel-info", "i"); i.title = p.description; head.appendChild(i); }
    for (const link of p.links || []) {
      const a = el("a", "panel-link", "↗");
      a.dataset.url = link.url;
      a.title = link.title || link.url;
      if (link.targetBlank) a.target = "_blank";
      head.appendChild(a);
    }
    const status = el("span", "panel-status");
    head.appendChild(status);
    box.appendChild(head);
    box.appendChild(el("div", "panel-body"));
    box.appendChild(el("div", "panel-notes"));
    return box;
  }
  function setState(box, s, message) {
    box.dataset.state = s;
    const status = box.querySelector(".panel-status");
    status.textContent = s === "error" ? "!" : "";
    status.title = message || "";
    report.panels[box.dataset.panelId] = { title: box.dataset.title, type: box.dataset.type, state: s, message: message || "" };
  }
  function showMessage(body, cls, text) { body.textContent = ""; body.appendChild(el("div", cls, text)); }

  async function runPanel(p, box, round, range) {
    const body = box.querySelector(".panel-body");
    for (const a of box.querySelectorAll(".panel-link")) a.href = linkUrl(a.dataset.url);
    const renderer = VV.panels[p.type];
    if (!renderer) {
      showMessage(body, "placeholder", `Panel type '${p.type}' is not supported by the preview`);
      return setState(box, "error", `unsupported panel type ${p.type}`);
    }
    const notes = VV.unknownOptions(p, renderer);
    box.querySelector(".panel-notes").textContent = notes.length ? `Not drawn by the preview: ${notes.join(", ")}` : "";
    setState(box, "loading");
    const foreign = (p.targets || []).concat([p]).map((t) => (t.datasource || {}).type).find((t) => t && t !== "prometheus" && t !== "datasource");
    if (foreign) {
      showMessage(body, "placeholder", `Data source type '${foreign}' is not supported by the preview`);
      return setState(box, "error", `unsupported data source type ${foreign}`);
    }
    range = panelRange(p, range);
    const targets = (p.targets || []).filter((t) => !t.hide && t.expr);
    let frames = [], errors = [];
    if (targets.length) {
      const width = Math.max(body.clientWidth, 100);
      let r;
      try {
        r = await post("/api/preview/query", { ...range, maxDataPoints: p.maxDataPoints || width, vars: varPayload(),
          queries: targets.map((t) => ({ refId: t.refId, expr: t.expr, instant: !!t.instant && !t.range, interval: t.interval || p.interval || "" })) });
      } catch (e) { r = { results: {} }; errors.push(String(e)); }
      if (round !== state.round) return;       // a newer refresh took over
      for (const t of targets) {
        const res = r.results[t.refId];
        if (!res) continue;
        if (res.prometheus_ms) report.prometheusMs += res.prometheus_ms;
        if (res.error) errors.push(`${t.refId}: ${res.error}${res.expr ? `\n  ${res.expr}` : ""}`); else frames = frames.concat(framesOf(t, res));
      }
    }
    const annotations = await state.annotations;
    if (round !== state.round) return;
    if (errors.length) {
      VV.disposeChart(body);
      showMessage(body, "panel-error", errors.join("\n"));
      return setState(box, "error", errors.join("; "));
    }
    try {
      const drawn = renderer.draw(body, p, frames, { range, annotations, targets });
      setState(box, drawn ? "data" : "nodata");
    } catch (e) {
      console.warn(`panel ${p.id} (${p.title}): ${e.stack || e}`);
      showMessage(body, "panel-error", `Could not draw: ${e.message || e}`);
      setState(box, "error", String(e.message || e));
    }
  }

  // A panel's own relative time (timeFrom: "1h") and shift (timeShift: "1d"), as Grafana applies them.
  function panelRange(p, range) {
    let { from, to } = range;
    const rel = p.timeFrom && durMs(String(p.timeFrom).replace(/^now-/, ""));
    if (rel) from = to - rel;
    const shift = p.timeShift && durMs(String(p.timeShift).replace(/^now-/, ""));
    if (shift) { from -= shift; to -= shift; }
    return { from, to };
  }

  // Layout: the panels in their gridPos; a collapsed row's panels appear below it when opened.
  function layout() {
    const grid = document.getElementById("grid");
    grid.textContent = "";
    state.boxes = [];
    let shift = 0;
    const place = (node, g, dy) => {
      node.style.gridColumn = `${(g.x || 0) + 1} / span ${Math.min(g.w || 12, 24)}`;
      node.style.gridRow = `${(g.y || 0) + dy + 1} / span ${Math.max(g.h || 8, 1)}`;
      grid.appendChild(node);
    };
    for (const p of state.dash.panels || []) {
      const g = p.gridPos || {};
      if (p.type === "row") {
        const row = el("div", "row");
        row.dataset.panelId = p.id;
        const open = p.collapsed ? state.opened.has(p.id) : true;
        row.appendChild(el("span", "row-toggle", open ? "▾" : "▸"));
        row.appendChild(el("span", "row-title", p.title || ""));
        const hidden = p.collapsed && !open;
        if (hidden && p.panels && p.panels.length) row.appendChild(el("span", "row-count", `(${p.panels.length} panels)`));
        if (p.collapsed) row.addEventListener("click", () => { state.opened.has(p.id) ? state.opened.delete(p.id) : state.opened.add(p.id); layout(); refresh(); });
        place(row, { ...g, h: 1, w: 24, x: 0 }, shift);
        if (p.collapsed && open) {
          const kids = p.panels || [];
          const top = Math.min(...kids.map((k) => (k.gridPos || {}).y || 0));
          let bottom = 0;
          for (const k of kids) {
            const kg = k.gridPos || {};
            const box = panelBox(k);
            place(box, { ...kg, y: (kg.y || 0) - top + (g.y || 0) + 1 }, shift);
            bottom = Math.max(bottom, (kg.y || 0) - top + (kg.h || 8));
            state.boxes.push([k, box]);
          }
          shift += bottom;
        }
        continue;
      }
      const box = panelBox(p);
      place(box, g, shift);
      state.boxes.push([p, box]);
    }
  }

  async function refresh() {
    const round = ++state.round;
    report.done = false;
    report.round = round;
    const range = timeRange();
    state.annotations = loadAnnotations(range);
    const started = performance.now();
    await Promise.all(state.boxes.map(([p, box]) => runPanel(p, box, round, range)));
    if (round !== state.round) return;
    report.lastRoundMs = performance.now() - started;     // one refresh: queries and drawing
    if (report.drawnMs === null) report.drawnMs = performance.now();
    const counts = {};
    for (const [, box] of state.boxes) counts[box.dataset.state] = (counts[box.dataset.state] || 0) + 1;
    report.counts = counts;
    report.done = true;
    document.body.dataset.round = String(round);
    document.body.dataset.ready = "1";
  }
  function setAutoRefresh(value) {
    state.refresh = value;
    clearInterval(state.timer);
    const ms = value && value !== "off" ? durMs(value) : null;
    if (ms) state.timer = setInterval(() => { if (report.done) refresh(); }, ms);
  }

  function topBar(boot) {
    const d = state.dash;
    const bar = el("header", "topbar");
    const home = el("a", "home", "Dashboards");
    home.href = "/";
    bar.appendChild(home);
    bar.appendChild(el("h1", "dash-title", d.title || d.uid));
    for (const link of d.links || []) {
      if (link.type === "dashboards") {
        const dd = el("details", "dash-links");
        dd.appendChild(el("summary", "", link.title || "Dashboards"));
        const list = el("div", "dash-links-list");
        const tags = link.tags || [];
        for (const x of boot.dashboards) {
          if (x.uid === d.uid || !tags.every((t) => x.tags.includes(t))) continue;
          const a = el("a", "dash-link", x.title);
          const p = queryParams(link.includeVars ? Object.keys(state.vars) : [], !!link.keepTime);
          a.dataset.base = x.url;
          a.href = `${x.url}?${p.toString().replace(/%24/g, "$")}`;
          list.appendChild(a);
        }
        dd.appendChild(list);
        dd.addEventListener("toggle", () => { for (const a of list.querySelectorAll("a")) a.href = `${a.dataset.base}?${queryParams(link.includeVars ? Object.keys(state.vars) : [], !!link.keepTime).toString().replace(/%24/g, "$")}`; });
        bar.appendChild(dd);
      } else if (link.url) {
        const a = el("a", "dash-link", link.title || link.url);
        a.href = linkUrl(link.url);
        bar.appendChild(a);
      }
    }
    const spacer = el("span", "spacer");
    bar.appendChild(spacer);
    const firing = el("span", "firing");
    firing.id = "firing";
    bar.appendChild(firing);
    const picker = el("select", "time-picker");
    picker.id = "time-picker";
    const custom = !(state.to === "now" && RANGES.includes(String(state.from).replace(/^now-/, "")));
    if (custom) { const o = el("option", "", "Custom range"); o.value = "custom"; picker.appendChild(o); }
    for (const r of RANGES) { const o = el("option", "", `Last ${r}`); o.value = r; o.selected = !custom && state.from === `now-${r}`; picker.appendChild(o); }
    picker.addEventListener("change", async () => {
      if (picker.value === "custom") return;
      state.from = `now-${picker.value}`;
      state.to = "now";
      // Variables set to refresh "On time range change" (refresh: 2) are queried again, as in Grafana.
      for (const d of state.dash.templating ? state.dash.templating.list : []) if (d.refresh === 2) await loadVariable(d, null);
      drawVarBar();
      writeUrl();
      refresh();
    });
    bar.appendChild(picker);
    const again = el("button", "refresh-button", "⟳");
    again.id = "refresh-button";
    again.title = "Refresh now";
    again.addEventListener("click", () => refresh());
    bar.appendChild(again);
    const auto = el("select", "auto-refresh");
    auto.id = "auto-refresh";
    for (const r of REFRESHES) { const o = el("option", "", r === "off" ? "Auto-refresh off" : `Every ${r}`); o.value = r; o.selected = r === (state.refresh || "off"); auto.appendChild(o); }
    auto.addEventListener("change", () => { setAutoRefresh(auto.value); writeUrl(); });
    bar.appendChild(auto);
    return bar;
  }

  async function start() {
    const boot = JSON.parse(document.getElementById("boot").textContent);
    const d = (state.dash = boot.dashboard);
    state.opened = new Set();
    const url = new URLSearchParams(location.search);
    state.from = url.get("from") || (d.time && d.time.from) || "now-6h";
    state.to = url.get("to") || (d.time && d.time.to) || "now";
    state.refresh = url.has("refresh") ? url.get("refresh") : d.refresh || "off";
    if (!REFRESHES.includes(state.refresh)) REFRESHES.push(state.refresh);
    const app = document.getElementById("app");
    for (const v of (d.templating && d.templating.list) || []) await loadVariable(v, url.getAll(`var-${v.name}`));
    report.variablesMs = performance.now();
    await window.VVCharts;
    app.appendChild(topBar(boot));
    const vars = el("div", "vars");
    vars.id = "vars";
    app.appendChild(vars);
    drawVarBar();
    if (d.description) app.appendChild(el("div", "dash-description", d.description));
    const grid = el("div", "grid");
    grid.id = "grid";
    grid.style.gridAutoRows = `${GRID_CELL}px`;
    grid.style.gap = `${GRID_GAP}px`;
    app.appendChild(grid);
    layout();
    writeUrl();
    setAutoRefresh(state.refresh);
    window.addEventListener("resize", () => VV.resizeCharts());
    await refresh();
    state.annotations.then((a) => {
      const names = new Set(a.filter((x) => x.end >= timeRange().to - 120000).map((x) => x.title));
      document.getElementById("firing").textContent = names.size ? `Firing now: ${[...names].join(", ")}` : "";
    });
  }
  VV.linkUrl = linkUrl;
  window.addEventListener("error", (e) => console.error(`preview: ${e.message}`));
  document.addEventListener("DOMContentLoaded", () => start().catch((e) => {
    console.error(`preview: ${e.stack || e}`);
    document.body.appendChild(el("div", "panel-error", `The preview could not start: ${e.message || e}`));
  }));
})(window.VV);
