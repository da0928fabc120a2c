// One renderer per Grafana panel type vvdash emits. Charts are drawn by Apache ECharts; the
// stat tiles and the table are HTML, as they are in Grafana. draw() returns true when the
// panel shows data and false when it shows its "no data" text.
"use strict";
(function (VV) {
  const TEXT = "#ccccdc", AXIS = "#8e8e8e", GRIDLINE = "rgba(204,204,220,0.12)";
  const COMMON_FIELD = ["unit", "color", "mappings", "thresholds", "min", "max", "decimals", "noValue", "displayName",
                        "custom", "links", "filterable", "fieldMinMax", "description"];
  const charts = new Set();

  function defaults(p) { return (p.fieldConfig && p.fieldConfig.defaults) || {}; }
  // Field config for one series: the defaults with the overrides that match it applied.
  function fieldFor(p, frame) {
    const fc = JSON.parse(JSON.stringify(defaults(p)));
    for (const o of (p.fieldConfig && p.fieldConfig.overrides) || []) {
      const m = o.matcher || {};
      const hit = (m.id === "byName" && m.options === frame.name) || (m.id === "byFrameRefID" && m.options === frame.refId)
        || (m.id === "byRegexp" && new RegExp(m.options).test(frame.name));
      if (!hit) continue;
      for (const prop of o.properties || []) {
        const path = prop.id.split(".");
        let at = fc;
        for (const k of path.slice(0, -1)) at = at[k] = at[k] || {};
        at[path[path.length - 1]] = prop.value;
      }
    }
    return fc;
  }
  function seriesColor(fc, i, lastValue) {
    const c = fc.color || {};
    if (c.mode === "fixed" || c.mode === "shades") return VV.color(c.fixedColor);
    if (c.mode === "thresholds") return VV.thresholdColor(lastValue, fc.thresholds);
    return VV.PALETTE[i % VV.PALETTE.length];
  }
  function displayOf(v, fc) {
    const m = VV.mapValue(v, fc.mappings);
    const text = m && m.text !== undefined && m.text !== "" ? m.text : VV.formatValue(v, fc.unit, fc.decimals);
    const color = m && m.color ? VV.color(m.color) : VV.thresholdColor(v, fc.thresholds);
    return { text, color };
  }
  const hasValues = (frames) => frames.some((f) => f.values.some((v) => v !== null && !Number.isNaN(v)));

  function chartIn(body) {
    let div = body.querySelector(":scope > .chart");
    if (div && div._chart) return div._chart;
    disposeChart(body);
    body.textContent = "";
    div = document.createElement("div");
    div.className = "chart";
    body.appendChild(div);
    const chart = echarts.init(div, null, { renderer: "canvas" });
    div._chart = chart;
    charts.add(chart);
    return chart;
  }
  function disposeChart(body) {
    for (const div of body.querySelectorAll(".chart")) if (div._chart) { charts.delete(div._chart); div._chart.dispose(); div._chart = null; }
  }
  VV.disposeChart = disposeChart;
  VV.resizeCharts = () => charts.forEach((c) => c.resize());
  function noData(body, text) {
    disposeChart(body);
    body.textContent = "";
    const d = document.createElement("div");
    d.className = "no-data";
    d.textContent = text || "No data";
    body.appendChild(d);
    return false;
  }
  function div(cls, text) { const d = document.createElement("div"); d.className = cls; if (text !== undefined) d.textContent = text; return d; }
  const timeAxis = (range) => ({ type: "time", min: range.from, max: range.to, axisLine: { lineStyle: { color: AXIS } },
    axisLabel: { color: AXIS, hideOverlap: true }, splitLine: { show: true, lineStyle: { color: GRIDLINE } } });
  const valueAxis = (fc, custom) => ({
    type: custom && custom.scaleDistribution && custom.scaleDistribution.type === "log" ? "log" : "value",
    logBase: custom && custom.scaleDistribution && custom.scaleDistribution.log,
    // Hard min/max win; soft ones only widen the axis to include them.
    min: fc.min !== undefined && fc.min !== null ? fc.min : custom && custom.axisSoftMin !== undefined && custom.axisSoftMin !== null ? (v) => Math.min(v.min, custom.axisSoftMin) : undefined,
    max: fc.max !== undefined && fc.max !== null ? fc.max : custom && custom.axisSoftMax !== undefined && custom.axisSoftMax !== null ? (v) => Math.max(v.max, custom.axisSoftMax) : undefined,
    axisLabel: { color: AXIS, formatter: (v) => VV.formatTick(v, fc.unit, fc.decimals) },
    splitLine: { lineStyle: { color: GRIDLINE } }, position: custom && custom.axisPlacement === "right" ? "right" : "left",
  });

  function annotationArea(annotations) {
    if (!annotations || !annotations.length) return undefined;
    return { silent: false, itemStyle: { color: "rgba(242,73,92,0.12)", borderColor: "rgba(242,73,92,0.7)", borderWidth: 1 },
      label: { show: true, position: "insideTop", color: "#F2495C", fontSize: 10 },
      data: annotations.map((a) => [{ xAxis: a.start, name: a.title }, { xAxis: Math.max(a.end, a.start + 1000) }]) };
  }
  function thresholdMarks(fc) {
    const style = ((fc.custom || {}).thresholdsStyle || {}).mode || "off";
    if (style === "off") return {};
    const steps = ((fc.thresholds || {}).steps || []).filter((s) => s.value !== null && s.value !== undefined);
    const out = {};
    if (/line|dashed/.test(style)) {
      out.markLine = { symbol: "none", silent: true, label: { show: false },
        data: steps.map((s) => ({ yAxis: s.value, lineStyle: { color: VV.color(s.color), type: /dashed/.test(style) ? "dashed" : "solid", width: 1 } })) };
    }
    if (/area/.test(style)) {
      const all = (fc.thresholds || {}).steps || [];
      out.markArea = { silent: true, data: all.map((s, i) => [{ yAxis: s.value === null ? -Infinity : s.value, itemStyle: { color: VV.color(s.color), opacity: 0.1 } },
        { yAxis: i + 1 < all.length ? all[i + 1].value : Infinity }]) };
    }
    return out;
  }
  function legendTable(p, frames, fcs, colors) {
    const lg = (p.options || {}).legend || {};
    const calcs = (lg.calcs || []).filter(VV.knownReducer);
    const t = document.createElement("table");
    t.className = "legend-table";
    const head = document.createElement("tr");
    head.innerHTML = "<th></th>" + calcs.map((c) => `<th>${VV.REDUCER_NAMES[c] || c}</th>`).join("");
    t.appendChild(head);
    frames.forEach((f, i) => {
      const tr = document.createElement("tr");
      tr.innerHTML = `<td><span class="swatch" style="background:${colors[i]}"></span>${VV.escapeHtml(f.name)}</td>`
        + calcs.map((c) => `<td>${VV.escapeHtml(VV.formatValue(VV.reduce(f.values, c), fcs[i].unit, fcs[i].decimals))}</td>`).join("");
      t.appendChild(tr);
    });
    return t;
  }

  // -- timeseries -------------------------------------------------------------------------
  const timeseries = {
    options: ["legend", "tooltip", "timezone", "orientation"],
    custom: ["axisPlacement", "drawStyle", "fillOpacity", "lineWidth", "showPoints", "pointSize", "spanNulls", "stacking",
             "thresholdsStyle", "lineInterpolation", "gradientMode", "barAlignment", "axisLabel", "axisCenteredZero",
             "axisColorMode", "axisBorderShow", "axisSoftMin", "axisSoftMax", "scaleDistribution", "hideFrom",
             "insertNulls", "lineStyle", "axisGridShow", "barWidthFactor", "showValues"],
    draw(body, p, frames, ctx) {
      if (!hasValues(frames)) return noData(body, defaults(p).noValue);
      const opts = p.options || {};
      const lg = opts.legend || {};
      const tableLegend = lg.showLegend !== false && (lg.displayMode === "table" || (lg.calcs || []).length);
      const fcs = frames.map((f) => fieldFor(p, f));
      const colors = frames.map((f, i) => seriesColor(fcs[i], i, VV.reduce(f.values, "lastNotNull")));
      const fc0 = fcs[0];
      const custom = fc0.custom || {};
      frames.forEach((f, i) => { if (fcs[i].displayName) f.name = fcs[i].displayName; });
      const series = frames.map((f, i) => {
        const c = fcs[i].custom || {};
        const stack = c.stacking && c.stacking.mode && c.stacking.mode !== "none" ? c.stacking.group || "A" : undefined;
        const interp = c.lineInterpolation;
        // Bars as a stepped area: ECharts' bar series widens a fixed time axis past the range.
        const bars = c.drawStyle === "bars";
        return { name: f.name, type: "line", stack, color: colors[i],
          showSymbol: c.showPoints === "always" || (c.drawStyle === "points"), symbolSize: c.pointSize || 4,
          lineStyle: { width: c.drawStyle === "points" ? 0 : c.lineWidth === undefined ? 1 : c.lineWidth, type: (c.lineStyle || {}).fill === "dash" ? "dashed" : "solid" },
          areaStyle: c.fillOpacity || bars ? { opacity: (c.fillOpacity || 80) / 100 } : undefined, connectNulls: c.spanNulls === true,
          step: bars ? "middle" : interp === "stepAfter" ? "end" : interp === "stepBefore" ? "start" : false, smooth: !bars && interp === "smooth",
          sampling: "lttb", data: f.times.map((t, j) => [t, f.values[j]]) };
      });
      Object.assign(series[0], thresholdMarks(fc0));
      const ann = annotationArea(ctx.annotations);
      if (ann) series.push({ type: "line", name: "Annotations", data: [], markArea: ann, tooltip: { show: true } });
      const right = lg.placement === "right";
      const chartHost = tableLegend ? layoutWithLegend(body, legendTable(p, frames, fcs, colors), right) : body;
      const chart = chartIn(chartHost);
      chart.setOption({
        animation: false, backgroundColor: "transparent", textStyle: { color: TEXT },
        grid: { left: 8, right: 12, top: 10, bottom: !tableLegend && lg.showLegend !== false ? 28 : 6, containLabel: true },
        xAxis: timeAxis(ctx.range), yAxis: valueAxis(fc0, custom),
        legend: { show: !tableLegend && lg.showLegend !== false, data: frames.map((f) => f.name), type: "scroll", bottom: 0, left: 0, textStyle: { color: TEXT }, pageTextStyle: { color: TEXT }, icon: "roundRect", itemHeight: 4 },
        tooltip: { show: (opts.tooltip || {}).mode !== "hidden", trigger: (opts.tooltip || {}).mode === "single" ? "item" : "axis", valueFormatter: (v) => VV.formatValue(v, fc0.unit, fc0.decimals) },
        series,
      }, true);
      return true;
    },
  };
  function layoutWithLegend(body, legend, right) {
    const existing = body.querySelector(":scope > .with-legend");
    const wrap = existing || div("with-legend");
    wrap.classList.toggle("legend-right", !!right);
    if (!existing) { disposeChart(body); body.textContent = ""; body.appendChild(wrap); wrap.appendChild(div("chart-host")); }
    const old = wrap.querySelector(":scope > .legend-table");
    if (old) old.remove();
    wrap.appendChild(legend);
    return wrap.querySelector(":scope > .chart-host");
  }

  // -- stat -------------------------------------------------------------------------------
  const REDUCE_KEYS = ["reduceOptions", "orientation", "text"];
  const stat = {
    options: REDUCE_KEYS.concat(["colorMode", "graphMode", "justifyMode", "textMode", "wideLayout", "showPercentChange",
                                 "percentChangeColorMode", "showValue"]),
    custom: ["hideFrom"],
    draw(body, p, frames) {
      const o = p.options || {};
      const calc = ((o.reduceOptions || {}).calcs || ["lastNotNull"])[0] || "lastNotNull";
      const values = frames.map((f) => ({ f, fc: fieldFor(p, f), v: VV.reduce(f.values, calc) })).filter((x) => x.v !== null && !Number.isNaN(x.v));
      if (!values.length) return noData(body, defaults(p).noValue);
      disposeChart(body);
      body.textContent = "";
      const wrap = div("stat-grid");
      const vertical = o.orientation === "vertical" || (o.orientation !== "horizontal" && body.clientHeight > body.clientWidth * 1.2);
      wrap.classList.add(vertical ? "stat-vertical" : "stat-horizontal");
      body.appendChild(wrap);
      const tileW = vertical ? body.clientWidth : Math.max(60, body.clientWidth / values.length);
      const tileH = vertical ? Math.max(30, body.clientHeight / values.length) : body.clientHeight;
      for (const x of values) {
        const d = displayOf(x.v, x.fc);
        const tile = div("stat-tile");
        const mode = o.colorMode || "value";
        if (mode === "background" || mode === "background_solid") { tile.style.background = d.color; tile.classList.add("stat-bg"); }
        const showName = o.textMode === "name" || o.textMode === "value_and_name" || ((o.textMode || "auto") === "auto" && values.length > 1);
        if (showName) tile.appendChild(div("stat-name", x.fc.displayName || x.f.name));
        if (o.textMode !== "name" && o.textMode !== "none") {
          const val = div("stat-value", d.text);
          val.dataset.value = String(x.v);
          if (mode === "value") val.style.color = d.color;
          val.style.fontSize = `${Math.max(12, Math.min(tileH * (showName ? 0.38 : 0.5), tileW / Math.max(3, d.text.length) * 1.6))}px`;
          tile.appendChild(val);
        }
        if (o.graphMode === "area" && x.f.values.length > 1) {
          const spark = div("stat-spark");
          tile.appendChild(spark);
          wrap.appendChild(tile);
          const chart = echarts.init(spark, null, { renderer: "canvas" });
          spark._chart = chart;
          spark.classList.add("chart");
          charts.add(chart);
          const line = mode === "value" ? d.color : "rgba(255,255,255,0.6)";
          chart.setOption({ animation: false, grid: { left: 0, right: 0, top: 0, bottom: 0 }, xAxis: { type: "time", show: false },
            yAxis: { type: "value", show: false, scale: true }, series: [{ type: "line", showSymbol: false, lineStyle: { width: 1, color: line },
              areaStyle: { color: line, opacity: 0.15 }, data: x.f.times.map((t, j) => [t, x.f.values[j]]) }] });
        } else wrap.appendChild(tile);
      }
      return true;
    },
  };

  // -- gauge ------------------------------------------------------------------------------
  function minMax(values, fc) {
    const nums = values.filter((v) => v !== null && isFinite(v));
    let min = fc.min !== undefined && fc.min !== null ? fc.min : Math.min(0, ...nums);
    let max = fc.max !== undefined && fc.max !== null ? fc.max : Math.max(...nums, min + 1e-9);
    if (max <= min) max = min + 1;
    return [min, max];
  }
  const gauge = {
    options: REDUCE_KEYS.concat(["showThresholdLabels", "showThresholdMarkers", "sizing", "minVizWidth", "minVizHeight"]),
    custom: ["hideFrom", "neutral"],
    draw(body, p, frames) {
      const o = p.options || {};
      const calc = ((o.reduceOptions || {}).calcs || ["lastNotNull"])[0] || "lastNotNull";
      const values = frames.map((f) => ({ f, fc: fieldFor(p, f), v: VV.reduce(f.values, calc) })).filter((x) => x.v !== null && !Number.isNaN(x.v));
      if (!values.length) return noData(body, defaults(p).noValue);
      const [min, max] = minMax(values.map((x) => x.v), defaults(p));
      const chart = chartIn(body);
      const n = values.length;
      const steps = (defaults(p).thresholds || {}).steps || [];
      const stops = [];
      steps.forEach((s, i) => {
        const next = i + 1 < steps.length ? steps[i + 1].value : max;
        stops.push([Math.min(1, Math.max(0, (next - min) / (max - min))), VV.color(s.color)]);
      });
      chart.setOption({ animation: false, series: values.map((x, i) => {
        const d = displayOf(x.v, x.fc);
        return { type: "gauge", min, max, startAngle: 210, endAngle: -30, center: [`${((i + 0.5) / n) * 100}%`, "58%"],
          radius: `${Math.min(90, 170 / n)}%`, progress: { show: true, width: 14, itemStyle: { color: d.color } },
          axisLine: { lineStyle: { width: o.showThresholdMarkers === false ? 14 : 4, color: o.showThresholdMarkers === false ? [[1, "rgba(204,204,220,0.1)"]] : stops.concat([[1, stops.length ? stops[stops.length - 1][1] : "#444"]]) } },
          pointer: { show: false }, axisTick: { show: false }, splitLine: { show: false },
          axisLabel: { show: !!o.showThresholdLabels, color: AXIS, distance: 18, formatter: (v) => VV.formatTick(v, x.fc.unit) },
          title: { show: n > 1, offsetCenter: [0, "70%"], color: TEXT }, detail: { valueAnimation: false, offsetCenter: [0, "10%"], color: d.color, fontSize: 22, formatter: () => d.text },
          data: [{ value: x.v, name: x.f.name }] };
      }) }, true);
      return true;
    },
  };

  // -- bargauge ---------------------------------------------------------------------------
  const bargauge = {
    options: REDUCE_KEYS.concat(["displayMode", "valueMode", "namePlacement", "showUnfilled", "sizing", "minVizWidth",
                                 "minVizHeight", "maxVizHeight", "legend"]),
    custom: ["hideFrom"],
    draw(body, p, frames) {
      const o = p.options || {};
      const calc = ((o.reduceOptions || {}).calcs || ["lastNotNull"])[0] || "lastNotNull";
      const values = frames.map((f) => ({ f, fc: fieldFor(p, f), v: VV.reduce(f.values, calc) })).filter((x) => x.v !== null && !Number.isNaN(x.v));
      if (!values.length) return noData(body, defaults(p).noValue);
      const [min, max] = minMax(values.map((x) => x.v), defaults(p));
      const horizontal = o.orientation !== "vertical";
      const names = values.map((x) => x.f.name);
      const chart = chartIn(body);
      const catAxis = { type: "category", data: names, inverse: horizontal, axisLine: { show: false }, axisTick: { show: false }, axisLabel: { color: TEXT } };
      const valAxis = { type: "value", min, max, show: false };
      chart.setOption({ animation: false,
        grid: { left: 8, right: horizontal ? 96 : 8, top: horizontal ? 4 : 24, bottom: 4, containLabel: true },
        xAxis: horizontal ? valAxis : catAxis, yAxis: horizontal ? catAxis : valAxis,
        series: [{ type: "bar", barCategoryGap: "20%", showBackground: o.showUnfilled !== false, backgroundStyle: { color: "rgba(204,204,220,0.07)" },
          label: { show: o.valueMode !== "hidden", position: horizontal ? "right" : "top", formatter: (e) => displayOf(e.value, values[e.dataIndex].fc).text,
                   color: TEXT, fontSize: 14 },
          data: values.map((x) => {
            const d = displayOf(x.v, x.fc);
            const base = VV.thresholdColor(min, x.fc.thresholds);
            const color = o.displayMode === "gradient"
              ? new echarts.graphic.LinearGradient(horizontal ? 0 : 0, horizontal ? 0 : 1, horizontal ? 1 : 0, 0, [{ offset: 0, color: base + "66" }, { offset: 1, color: d.color }])
              : d.color;
            return { value: x.v, itemStyle: { color }, label: { color: o.valueMode === "text" ? TEXT : d.color } };
          }) }] }, true);
      return true;
    },
  };

  // -- table ------------------------------------------------------------------------------
  function tableRows(p, frames, targets) {
    const refs = new Set(frames.map((f) => f.refId));
    const valueName = (f) => (refs.size > 1 ? `Value #${f.refId}` : "Value");
    const labelKeys = [...new Set(frames.flatMap((f) => Object.keys(f.labels)))].sort();
    const cols = ["Time", ...labelKeys, ...[...new Set(frames.map(valueName))]];
    const rows = frames.map((f) => {
      const r = { Time: f.times[f.times.length - 1] };
      for (const k of labelKeys) r[k] = f.labels[k] !== undefined ? f.labels[k] : "";
      r[valueName(f)] = VV.reduce(f.values, "lastNotNull");
      return r;
    });
    const valueCols = new Set(cols.filter((c) => c.startsWith("Value")));
    const merge = (p.transformations || []).some((t) => t.id === "merge" && !t.disabled);
    return { cols, rows: merge ? mergeRows(frames, rows, valueName) : rows, valueCols };
  }
  // Grafana's merge transformation: rows whose fields present in every frame (Time, shared labels)
  // are equal become one row holding every frame's value.
  function mergeRows(frames, rows, valueName) {
    const inAll = ["Time", ...Object.keys(frames[0].labels).filter((k) => frames.every((f) => k in f.labels))];
    const byKey = new Map();
    rows.forEach((r, i) => {
      const key = JSON.stringify(inAll.map((k) => r[k]));
      const into = byKey.get(key);
      if (!into) return byKey.set(key, { ...r });
      for (const [k, v] of Object.entries(r)) if (into[k] === undefined || into[k] === "") into[k] = v;
    });
    return [...byKey.values()];
  }
  const table = {
    options: ["cellHeight", "footer", "showHeader", "sortBy", "frameIndex", "showTypeIcons", "enablePagination"],
    custom: ["align", "cellOptions", "filterable", "inspect", "displayMode", "width", "minWidth", "hidden", "hideFrom", "wrapText"],
    transformations: ["merge", "organize"],
    draw(body, p, frames, ctx) {
      if (!frames.length) return noData(body, defaults(p).noValue);
      let { cols, rows, valueCols } = tableRows(p, frames, ctx.targets);
      const rename = {};
      for (const t of p.transformations || []) {
        if (t.id !== "organize" || t.disabled) continue;
        const op = t.options || {};
        cols = cols.filter((c) => !(op.excludeByName || {})[c]);
        const idx = op.indexByName || {};
        cols.sort((a, b) => (idx[a] !== undefined ? idx[a] : 1e6) - (idx[b] !== undefined ? idx[b] : 1e6));
        Object.assign(rename, op.renameByName || {});
      }
      const o = p.options || {};
      const fcs = Object.fromEntries(cols.map((c) => [c, fieldFor(p, { name: rename[c] || c, refId: "", labels: {} })]));
      for (const s of o.sortBy || []) {
        const col = cols.find((c) => (rename[c] || c) === s.displayName);
        if (col) rows.sort((a, b) => (a[col] > b[col] ? 1 : a[col] < b[col] ? -1 : 0) * (s.desc ? -1 : 1));
      }
      disposeChart(body);
      body.textContent = "";
      const t = document.createElement("table");
      t.className = `data-table cell-${o.cellHeight || "sm"}`;
      if (o.showHeader !== false) {
        const tr = document.createElement("tr");
        for (const c of cols) { const th = document.createElement("th"); th.textContent = rename[c] || c; tr.appendChild(th); }
        t.appendChild(tr);
      }
      for (const r of rows) {
        const tr = document.createElement("tr");
        for (const c of cols) {
          const td = document.createElement("td");
          const fc = fcs[c];
          const v = r[c];
          if (c === "Time") td.textContent = new Date(v).toISOString().replace("T", " ").slice(0, 19);
          else if (valueCols.has(c) && typeof v === "number") {
            const d = displayOf(v, fc);
            td.textContent = d.text;
            td.dataset.value = String(v);
            td.className = "num";
            const cell = ((fc.custom || {}).cellOptions || {}).type || (fc.custom || {}).displayMode || "auto";
            if (/color-text/.test(cell)) td.style.color = d.color;
            if (/color-background/.test(cell)) td.style.background = d.color;
          } else td.textContent = v === undefined ? "" : v;
          tr.appendChild(td);
        }
        t.appendChild(tr);
      }
      if ((o.footer || {}).show) {
        const tr = document.createElement("tr");
        tr.className = "footer";
        const calc = ((o.footer || {}).reducer || ["sum"])[0];
        for (const c of cols) {
          const td = document.createElement("td");
          if (valueCols.has(c)) td.textContent = VV.formatValue(VV.reduce(rows.map((r) => r[c]), calc), fcs[c].unit);
          tr.appendChild(td);
        }
        t.appendChild(tr);
      }
      const scroll = div("table-scroll");
      scroll.appendChild(t);
      body.appendChild(scroll);
      return true;
    },
  };

  // -- state-timeline ---------------------------------------------------------------------
  const stateTimeline = {
    options: ["alignValue", "legend", "mergeValues", "rowHeight", "showValue", "tooltip", "perPage", "timezone"],
    custom: ["fillOpacity", "lineWidth", "hideFrom", "insertNulls", "spanNulls"],
    draw(body, p, frames, ctx) {
      if (!hasValues(frames)) return noData(body, defaults(p).noValue);
      const o = p.options || {};
      const fc0 = defaults(p);
      const names = frames.map((f) => f.name);
      const segs = [];
      const legend = new Map();
      frames.forEach((f, row) => {
        const fc = fieldFor(p, f);
        let cur = null;
        const step = f.times.length > 1 ? f.times[1] - f.times[0] : 60000;
        for (let j = 0; j < f.times.length; j++) {
          const v = f.values[j];
          const end = j + 1 < f.times.length ? f.times[j + 1] : f.times[j] + step;
          if (v === null || Number.isNaN(v)) { cur = null; continue; }
          const d = displayOf(v, fc);
          legend.set(d.text, d.color);
          if (cur && cur.text === d.text && o.mergeValues !== false && cur.end === f.times[j]) { cur.end = end; continue; }
          cur = { row, start: f.times[j], end, text: d.text, color: d.color };
          segs.push(cur);
        }
      });
      const opacity = ((fc0.custom || {}).fillOpacity === undefined ? 70 : fc0.custom.fillOpacity) / 100;
      const rowH = o.rowHeight || 0.9;
      const chart = chartIn(body);
      const lg = o.legend || {};
      chart.setOption({ animation: false,
        grid: { left: 8, right: 12, top: 6, bottom: lg.showLegend !== false ? 30 : 6, containLabel: true },
        xAxis: timeAxis(ctx.range),
        yAxis: { type: "category", data: names, inverse: true, axisLabel: { color: TEXT }, axisTick: { show: false }, axisLine: { show: false } },
        legend: { show: lg.showLegend !== false, bottom: 0, left: 0, textStyle: { color: TEXT }, data: [...legend.keys()] },
        tooltip: { show: (o.tooltip || {}).mode !== "hidden", formatter: (e) => `${VV.escapeHtml(names[e.value[0]])}: ${VV.escapeHtml(e.value[3])}` },
        series: [...legend.entries()].map(([text, color]) => ({ type: "custom", name: text, itemStyle: { color },
          renderItem: (params, api) => {
            const start = api.coord([api.value(1), api.value(0)]);
            const end = api.coord([api.value(2), api.value(0)]);
            const h = api.size([0, 1])[1] * rowH;
            const rect = echarts.graphic.clipRectByRect({ x: start[0], y: start[1] - h / 2, width: Math.max(end[0] - start[0], 1), height: h },
              { x: params.coordSys.x, y: params.coordSys.y, width: params.coordSys.width, height: params.coordSys.height });
            if (!rect) return null;
            const showText = o.showValue === "always" || (o.showValue !== "never" && rect.width > text.length * 7 + 8 && rect.height >= 12);
            return { type: "rect", shape: rect, style: { fill: color, opacity },
              textContent: showText ? { style: { text, fill: "#fff", fontSize: 11 } } : undefined,
              textConfig: showText ? { position: o.alignValue === "center" ? "inside" : o.alignValue === "right" ? "insideRight" : "insideLeft" } : undefined };
          },
          encode: { x: [1, 2], y: 0 },
          data: segs.filter((s) => s.text === text).map((s) => [s.row, s.start, s.end, s.text]) })),
      }, true);
      return true;
    },
  };

  // -- heatmap ----------------------------------------------------------------------------
  const SCHEMES = { Oranges: ["#3d1f00", "#7f2704", "#d94801", "#f16913", "#fd8d3c", "#fdae6b", "#fdd0a2"],
                    Blues: ["#08306b", "#08519c", "#2171b5", "#4292c6", "#6baed6", "#9ecae1", "#c6dbef"],
                    Greens: ["#00441b", "#006d2c", "#238b45", "#41ab5d", "#74c476", "#a1d99b", "#c7e9c0"],
                    Reds: ["#67000d", "#a50f15", "#cb181d", "#ef3b2c", "#fb6a4a", "#fc9272", "#fcbba1"],
                    Spectral: ["#5e4fa2", "#3288bd", "#66c2a5", "#abdda4", "#e6f598", "#fee08b", "#fdae61", "#f46d43", "#d53e4f"] };
  const heatmap = {
    options: ["calculate", "calculation", "cellGap", "cellValues", "color", "exemplars", "filterValues", "legend",
              "rowsFrame", "showValue", "tooltip", "yAxis", "selectionMode", "timezone"],
    custom: ["hideFrom", "scaleDistribution"],
    draw(body, p, frames, ctx) {
      if (!hasValues(frames)) return noData(body, defaults(p).noValue);
      const o = p.options || {};
      const color = o.color || {};
      const times = [...new Set(frames.flatMap((f) => f.times))].sort((a, b) => a - b);
      const step = times.length > 1 ? Math.min(...times.slice(1).map((t, i) => t - times[i])) : 60000;
      const yUnit = (o.yAxis || {}).unit || defaults(p).unit;
      const rows = frames.map((f) => (f.name === "+Inf" ? "+Inf" : isFinite(parseFloat(f.name)) ? VV.formatTick(parseFloat(f.name), yUnit) : f.name));
      const floor = (o.filterValues || {}).le === undefined ? -Infinity : o.filterValues.le;
      let maxV = 0;
      const cells = [];
      frames.forEach((f, y) => f.values.forEach((v, j) => {
        if (v === null || Number.isNaN(v) || v <= floor) return;       // Grafana hides cells at or below filterValues.le
        maxV = Math.max(maxV, v);
        cells.push([f.times[j], y, v]);
      }));
      if (!cells.length) return noData(body, defaults(p).noValue);
      const exp = color.scale === "exponential" ? color.exponent || 0.5 : 1;
      const data = cells.map(([t, y, v]) => [t, y, Math.pow(v / (maxV || 1), exp), v]);
      const scheme = color.mode === "opacity" ? ["rgba(0,0,0,0)", VV.color(color.fill)] : (SCHEMES[color.scheme] || SCHEMES.Oranges).slice();
      if (color.reverse) scheme.reverse();
      const gap = o.cellGap === undefined ? 1 : o.cellGap;
      const chart = chartIn(body);
      chart.setOption({ animation: false,
        grid: { left: 8, right: 12, top: 8, bottom: (o.legend || {}).show !== false ? 34 : 6, containLabel: true },
        xAxis: timeAxis(ctx.range),
        yAxis: { type: "category", data: rows, axisLabel: { color: AXIS }, position: (o.yAxis || {}).axisPlacement === "right" ? "right" : "left" },
        visualMap: { show: (o.legend || {}).show !== false, min: 0, max: 1, dimension: 2, orient: "horizontal", bottom: 0, left: "center",
                     itemHeight: 120, itemWidth: 10, inRange: { color: scheme }, textStyle: { color: TEXT }, text: [String(Math.round(maxV * 1000) / 1000), "0"], calculable: false },
        tooltip: { formatter: (e) => `${new Date(e.value[0]).toLocaleTimeString()} le ${VV.escapeHtml(rows[e.value[1]])}: ${Math.round(e.value[3] * 1000) / 1000}` },
        series: [{ type: "custom", data, encode: { x: 0, y: 1 },
          renderItem: (params, api) => {
            const a = api.coord([api.value(0) - step, api.value(1)]);
            const b = api.coord([api.value(0), api.value(1)]);
            const h = api.size([0, 1])[1];
            const rect = echarts.graphic.clipRectByRect({ x: a[0], y: a[1] - h / 2 + gap / 2, width: Math.max(b[0] - a[0] - gap, 1), height: Math.max(h - gap, 1) },
              { x: params.coordSys.x, y: params.coordSys.y, width: params.coordSys.width, height: params.coordSys.height });
            return rect && { type: "rect", shape: rect, style: { fill: api.visual("color") } };
          } }],
      }, true);
      return true;
    },
  };

  // -- text -------------------------------------------------------------------------------
  const text = {
    options: ["content", "mode", "code"],
    custom: [],
    draw(body, p) {
      disposeChart(body);
      body.textContent = "";
      const o = p.options || {};
      const box = div("text-panel");
      const content = o.content || "";
      if (o.mode === "markdown" || !o.mode) {
        box.innerHTML = content.split(/\n{2,}/).map((para) => {
          const h = /^(#{1,6})\s+(.*)$/.exec(para);
          const inline = (s) => VV.escapeHtml(s).replace(/\*\*(.+?)\*\*/g, "<b>$1</b>").replace(/`(.+?)`/g, "<code>$1</code>")
            .replace(/\[([^\]]+)\]\(([^)\s]+)\)/g, (m, t, u) => (/^(https?:|\/)/.test(u) ? `<a href="${u}">${t}</a>` : t));
          return h ? `<h${h[1].length}>${inline(h[2])}</h${h[1].length}>` : `<p>${inline(para).replace(/\n/g, "<br>")}</p>`;
        }).join("");
      } else box.textContent = content;    // html and code: shown as text, never run
      body.appendChild(box);
      return true;
    },
  };

  VV.panels = { timeseries, stat, gauge, bargauge, table, "state-timeline": stateTimeline, heatmap, text };

  // Options, field settings, units and transformations a renderer does not draw, named.
  const PANEL_KEYS = ["id", "type", "title", "gridPos", "datasource", "description", "fieldConfig", "options", "targets",
                      "transformations", "transparent", "links", "pluginVersion", "interval", "maxDataPoints", "timeFrom",
                      "timeShift", "hideTimeOverride", "cacheTimeout", "queryCachingTTL", "collapsed", "panels", "tags"];
  VV.unknownOptions = function (p, renderer) {
    const out = [];
    for (const k of Object.keys(p)) if (!PANEL_KEYS.includes(k)) out.push(k);
    for (const k of Object.keys(p.options || {})) if (!renderer.options.includes(k)) out.push(`options.${k}`);
    const fc = defaults(p);
    for (const k of Object.keys(fc)) if (!COMMON_FIELD.includes(k)) out.push(`fieldConfig.defaults.${k}`);
    for (const k of Object.keys(fc.custom || {})) if (!renderer.custom.includes(k)) out.push(`custom.${k}`);
    if (fc.unit && !VV.knownUnit(fc.unit)) out.push(`unit ${fc.unit}`);
    const calcs = ((p.options || {}).reduceOptions || {}).calcs || [];
    for (const c of calcs) if (!VV.knownReducer(c)) out.push(`calc ${c}`);
    for (const o of (p.fieldConfig && p.fieldConfig.overrides) || []) {
      const id = (o.matcher || {}).id;
      if (!["byName", "byFrameRefID", "byRegexp"].includes(id)) out.push(`override matcher ${id}`);
    }
    for (const t of p.transformations || []) if (!(renderer.transformations || []).includes(t.id)) out.push(`transformation ${t.id}`);
    // Known options whose value asks for something the preview does not do.
    if (p.type === "heatmap" && (p.options || {}).calculate) out.push("options.calculate (buckets computed from raw series)");
    if (((fc.custom || {}).stacking || {}).mode === "percent") out.push("custom.stacking.mode percent (drawn as a normal stack)");
    if (((p.options || {}).legend || {}).sortBy) out.push("options.legend.sortBy");
    return out;
  };
})(window.VV);
