// Values as Grafana shows them: units, decimals, thresholds, value mappings, reducers, names.
"use strict";
window.VV = window.VV || {};
(function (VV) {
  function decimalsFor(v) {
    if (!isFinite(v) || v === 0 || v % 1 === 0) return 0;
    let dec = -Math.floor(Math.log10(Math.abs(v))) + 1;
    const norm = v / Math.pow(10, -dec);
    if (norm > 2.25) dec++;
    return Math.max(0, dec);
  }
  // As Grafana's toFixed: automatic decimals, then padded with zeros to that many ("2.50", "0.200").
  // Axis ticks are not padded: their step already fixes the digits ("0.05", "0.1", "0.15").
  let padding = true;
  function toFixed(v, decimals) {
    if (v === null || v === undefined || !isFinite(v)) return String(v);
    const d = decimals === undefined || decimals === null ? decimalsFor(v) : decimals;
    if (v === 0) return padding ? v.toFixed(Math.max(0, d)) : "0";
    const f = Math.pow(10, Math.max(0, d));
    const s = String(Math.round(v * f) / f);
    if (s.indexOf("e") !== -1 || !padding) return s;
    const at = s.indexOf(".");
    const have = at < 0 ? 0 : s.length - at - 1;
    return have < d ? (at < 0 ? s + "." : s) + "0".repeat(d - have) : s;
  }
  function scaled(factor, suffixes, sep) {
    return function (v, decimals) {
      let i = 0;
      let x = v;
      while (Math.abs(x) >= factor && i < suffixes.length - 1) { x /= factor; i++; }
      return { text: toFixed(x, decimals), suffix: (sep === undefined ? " " : sep) + suffixes[i] };
    };
  }
  const countUnit = (sym) => (v, d) => { const r = scaled(1000, ["", "K", "M", "B", "T"], "")(v, d); return { text: r.text, suffix: r.suffix + " " + sym }; };
  function duration(unitsMs, zeroSuffix) {
    return function (v, decimals) {
      if (v === 0) return { text: "0", suffix: zeroSuffix };      // Grafana: zero in the unit itself
      const ms = v * unitsMs;
      const abs = Math.abs(ms);
      const steps = [[1, " ms", 1000], [1000, " s", 60000], [60000, " min", 3600000], [3600000, " hour", 86400000],
                     [86400000, " day", 604800000], [604800000, " week", 31536000000], [31536000000, " year", Infinity]];
      if (abs < 0.001) return { text: toFixed(ms * 1e6, decimals), suffix: " ns" };
      if (abs < 1) return { text: toFixed(ms * 1000, decimals), suffix: " µs" };
      for (const [div, suf, below] of steps) if (abs < below) return { text: toFixed(ms / div, decimals), suffix: suf };
      return { text: toFixed(ms, decimals), suffix: " ms" };
    };
  }
  const UNITS = {
    none: (v, d) => ({ text: toFixed(v, d), suffix: "" }),
    short: scaled(1000, ["", " K", " Mil", " Bil", " Tri"], ""),
    percent: (v, d) => ({ text: toFixed(v, d), suffix: "%" }),
    percentunit: (v, d) => ({ text: toFixed(v * 100, d), suffix: "%" }),
    bytes: scaled(1024, ["B", "KiB", "MiB", "GiB", "TiB", "PiB"]),
    decbytes: scaled(1000, ["B", "kB", "MB", "GB", "TB", "PB"]),
    bits: scaled(1024, ["b", "Kib", "Mib", "Gib", "Tib"]),
    Bps: scaled(1000, ["B/s", "kB/s", "MB/s", "GB/s", "TB/s"]),
    binBps: scaled(1024, ["B/s", "KiB/s", "MiB/s", "GiB/s", "TiB/s"]),
    bps: scaled(1000, ["b/s", "kb/s", "Mb/s", "Gb/s", "Tb/s"]),
    ops: countUnit("ops/s"), reqps: countUnit("req/s"), rps: countUnit("rd/s"), wps: countUnit("wr/s"),
    iops: countUnit("io/s"), cps: countUnit("c/s"), cpm: countUnit("c/m"), opm: countUnit("ops/min"),
    s: duration(1000, " s"), ms: duration(1, " ms"), m: duration(60000, " min"), h: duration(3600000, " hour"),
    d: duration(86400000, " day"),
    dateTimeAsIso: (v) => ({ text: new Date(v).toISOString().replace("T", " ").slice(0, 19), suffix: "" }),
    hertz: scaled(1000, ["Hz", "kHz", "MHz", "GHz"]),
    celsius: (v, d) => ({ text: toFixed(v, d), suffix: "°C" }),
    watt: scaled(1000, ["W", "kW", "MW", "GW"]),
  };
  VV.formatTick = function (v, unit, decimals) {
    padding = false;
    try { return VV.formatValue(v, unit, decimals); } finally { padding = true; }
  };
  VV.knownUnit = (u) => !u || u in UNITS || /^suffix:|^prefix:/.test(u);
  VV.formatValue = function (v, unit, decimals) {
    if (v === null || v === undefined || Number.isNaN(v)) return "";
    if (!isFinite(v)) return v > 0 ? "+Inf" : "-Inf";
    if (unit && unit.startsWith("suffix:")) return toFixed(v, decimals) + unit.slice(7);
    if (unit && unit.startsWith("prefix:")) return unit.slice(7) + toFixed(v, decimals);
    const fn = UNITS[unit || "none"] || UNITS.none;
    const r = fn(v, decimals);
    return r.text + r.suffix;
  };

  // Grafana's named colours (the ones thresholds and mappings use) and its classic palette.
  const NAMED = {
    green: "#73BF69", "dark-green": "#37872D", "semi-dark-green": "#56A64B", "light-green": "#96D98D",
    red: "#F2495C", "dark-red": "#C4162A", "semi-dark-red": "#E02F44", "light-red": "#FF7383",
    orange: "#FF9830", "dark-orange": "#FA6400", "semi-dark-orange": "#FF780A", "light-orange": "#FFB357",
    yellow: "#FADE2A", "dark-yellow": "#E0B400", "light-yellow": "#FFEE52",
    blue: "#5794F2", "dark-blue": "#1F60C4", "light-blue": "#8AB8FF", purple: "#B877D9",
    "dark-purple": "#8F3BB8", "light-purple": "#CA95E5", text: "#CCCCDC", transparent: "transparent",
  };
  VV.color = (c) => (c ? NAMED[c] || c : NAMED.green);
  VV.PALETTE = ["#7EB26D", "#EAB839", "#6ED0E0", "#EF843C", "#E24D42", "#1F78C1", "#BA43A9", "#705DA0",
                "#508642", "#CCA300", "#447EBC", "#C15C17", "#890F02", "#0A437C", "#6D1F62", "#584477"];

  VV.thresholdColor = function (v, thresholds) {
    const steps = (thresholds && thresholds.steps) || [];
    let color = steps.length ? steps[0].color : "green";
    for (const s of steps) if (s.value === null || s.value === undefined || v >= s.value) color = s.color;
    return VV.color(color);
  };

  // Value mappings: {type: value|range|special|regex}; returns {text, color} or null.
  VV.mapValue = function (v, mappings) {
    for (const m of mappings || []) {
      const o = m.options || {};
      if (m.type === "value") {
        const key = v === null || v === undefined ? null : String(v);
        const hit = key !== null && (o[key] || (Number(key) === Math.trunc(Number(key)) ? o[String(Math.trunc(Number(key)))] : null));
        if (hit) return hit;
      } else if (m.type === "range" && v !== null && (o.from === null || o.from === undefined || v >= o.from)
                 && (o.to === null || o.to === undefined || v <= o.to)) {
        return o.result || {};
      } else if (m.type === "special") {
        const hit = (o.match === "null" && (v === null || v === undefined)) || (o.match === "nan" && Number.isNaN(v))
          || (o.match === "null+nan" && (v === null || Number.isNaN(v)));
        if (hit) return o.result || {};
      } else if (m.type === "regex" && v !== null && new RegExp(o.pattern).test(String(v))) {
        return o.result || {};
      }
    }
    return null;
  };

  // Reducers (reduceOptions.calcs) over one series' values.
  const REDUCERS = {
    lastNotNull: (a) => { const x = a.filter((v) => v !== null && !Number.isNaN(v)); return x.length ? x[x.length - 1] : null; },
    last: (a) => (a.length ? a[a.length - 1] : null),
    firstNotNull: (a) => { const x = a.filter((v) => v !== null && !Number.isNaN(v)); return x.length ? x[0] : null; },
    first: (a) => (a.length ? a[0] : null),
    mean: (a) => { const x = a.filter((v) => v !== null); return x.length ? x.reduce((s, v) => s + v, 0) / x.length : null; },
    max: (a) => { const x = a.filter((v) => v !== null); return x.length ? Math.max(...x) : null; },
    min: (a) => { const x = a.filter((v) => v !== null); return x.length ? Math.min(...x) : null; },
    sum: (a) => a.filter((v) => v !== null).reduce((s, v) => s + v, 0),
    count: (a) => a.length,
    range: (a) => { const x = a.filter((v) => v !== null); return x.length ? Math.max(...x) - Math.min(...x) : null; },
    delta: (a) => { let d = 0; for (let i = 1; i < a.length; i++) if (a[i] !== null && a[i - 1] !== null && a[i] >= a[i - 1]) d += a[i] - a[i - 1]; return d; },
    diff: (a) => { const x = a.filter((v) => v !== null); return x.length ? x[x.length - 1] - x[0] : null; },
  };
  VV.REDUCER_NAMES = { lastNotNull: "Last *", last: "Last", firstNotNull: "First *", first: "First", mean: "Mean",
                       max: "Max", min: "Min", sum: "Total", count: "Count", range: "Range", delta: "Delta", diff: "Difference" };
  VV.knownReducer = (c) => c in REDUCERS;
  VV.reduce = (values, calc) => (REDUCERS[calc] || REDUCERS.lastNotNull)(values);

  // A series' display name: the legend format with {{label}}s, else its labels, else the expression.
  VV.seriesName = function (labels, legendFormat, expr) {
    if (legendFormat && legendFormat !== "__auto") {
      return legendFormat.replace(/\{\{\s*([A-Za-z0-9_]+)\s*\}\}/g, (_, k) => (labels[k] !== undefined ? labels[k] : ""));
    }
    const keys = Object.keys(labels).filter((k) => k !== "__name__").sort();
    if (!keys.length) return labels.__name__ || expr;
    return (labels.__name__ || "") + "{" + keys.map((k) => `${k}="${labels[k]}"`).join(", ") + "}";
  };
  VV.escapeHtml = (s) => String(s).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
})(window.VV);
