/* 数据看板: draws each [data-chart] element with the vendored ECharts from the JSON the page
   embeds (json_script "dashboard-data"). Charts follow their box (ResizeObserver) and switch to a
   phone layout below 480px: legend at the bottom, shorter and rotated category names. The same
   figures are in the table under each chart; if ECharts is missing, the tables are opened. */
(function () {
  "use strict";

  var NARROW = 480;
  var COLORS = ["#b71c1c", "#ef6c00", "#1565c0", "#2e7d32", "#6a1b9a", "#00838f"];

  function isNarrow(width) { return width < NARROW; }

  function shortName(name, narrow) {
    if (!narrow) { return name; }
    var s = String(name).replace(/(村|社区|镇|乡)$/, "");
    return s.length > 4 ? s.slice(0, 4) + "…" : s;
  }

  function shortMonth(label, narrow) {
    // "2026-10" -> "26-10" on phones
    return narrow && /^\d{4}-\d{2}$/.test(label) ? label.slice(2) : label;
  }

  function option(spec, width) {
    var narrow = isNarrow(width);
    var byMonth = /_by_month$/.test(spec.key);
    var hasPercent = spec.series.some(function (s) { return s.percent; });
    var hasCount = spec.series.some(function (s) { return !s.percent; });
    var axes = [];
    if (hasCount) {
      axes.push({ type: "value", minInterval: 1, axisLabel: { fontSize: narrow ? 10 : 12 } });
    }
    if (hasPercent) {
      axes.push({ type: "value", min: 0, max: 100, splitLine: { show: !hasCount },
                  axisLabel: { formatter: "{value}%", fontSize: narrow ? 10 : 12 } });
    }
    var many = spec.categories.length > (narrow ? 4 : 10);
    return {
      color: COLORS,
      animationDuration: 300,
      // richText: the tooltip is drawn inside the chart, not as HTML with style attributes (CSP).
      tooltip: { trigger: "axis", confine: true, renderMode: "richText",
                 valueFormatter: function (v) { return v === null || v === undefined ? "—" : v; } },
      legend: narrow
        ? { bottom: 0, left: "center", type: "scroll", itemWidth: 12, itemHeight: 8, textStyle: { fontSize: 11 } }
        : { top: 0, left: "center" },
      grid: { left: 6, right: 6, top: narrow ? 16 : 36, bottom: narrow ? 36 : 8, containLabel: true },
      xAxis: {
        type: "category",
        data: spec.categories,
        axisLabel: {
          interval: byMonth ? "auto" : 0,
          rotate: many ? (narrow ? 45 : 30) : 0,
          fontSize: narrow ? 10 : 12,
          hideOverlap: true,
          formatter: function (v) { return byMonth ? shortMonth(v, narrow) : shortName(v, narrow); }
        }
      },
      yAxis: axes,
      series: spec.series.map(function (s) {
        return {
          name: s.name,
          type: s.kind === "line" ? "line" : "bar",
          data: s.values,
          yAxisIndex: s.percent && hasCount ? 1 : 0,
          barMaxWidth: 28,
          connectNulls: true,
          symbolSize: narrow ? 5 : 7
        };
      })
    };
  }

  function openTables() {
    document.querySelectorAll("details.chart-table").forEach(function (d) { d.open = true; });
  }

  function start() {
    var source = document.getElementById("dashboard-data");
    if (!source) { return; }
    if (typeof window.echarts === "undefined") { openTables(); return; }
    var specs = {};
    JSON.parse(source.textContent).forEach(function (spec) { specs[spec.key] = spec; });
    document.querySelectorAll("[data-chart]").forEach(function (el) {
      var spec = specs[el.getAttribute("data-chart")];
      if (!spec) { return; }
      var chart = window.echarts.init(el, null, { renderer: "svg" });
      var layout = null;
      function draw() {
        var width = el.clientWidth || window.innerWidth;
        layout = isNarrow(width);
        chart.setOption(option(spec, width), true);
      }
      draw();
      el.setAttribute("data-rendered", "true");
      if (typeof window.ResizeObserver === "function") {
        new window.ResizeObserver(function () {
          if (isNarrow(el.clientWidth) !== layout) { draw(); }
          chart.resize();
        }).observe(el);
      } else {
        window.addEventListener("resize", function () { draw(); chart.resize(); });
      }
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
