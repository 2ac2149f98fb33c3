// Charts of use. Daily series are line charts drawn by uPlot (vendored in
// vendor/uplot, see its README.md); failures by cause are bars of plain
// HTML. Every chart also says its numbers as text: an aria-label summary
// and a table behind "Show as table", so it reads without the canvas.
// Nothing here writes markup or style attributes: the console's CSP
// allows neither; widths go through the CSSOM (el.style.width), which it
// allows.

import uPlot from "./vendor/uplot/uPlot.esm.js";
import { h } from "./dom.js";
import { t, lang } from "./i18n.js";

// Colours of the series in order: they read on white and apart from each
// other for the common colour-blindnesses (green, blue, orange, purple, red).
const COLORS = ["#07a653", "#2e6fd9", "#e07b00", "#7a5af8", "#d92d20"];

let cssLinked = false;

// uPlot's own stylesheet, linked once (a file of ours: style-src 'self').
function linkCSS() {
  if (cssLinked) return;
  cssLinked = true;
  document.head.append(h("link", { rel: "stylesheet", href: new URL("vendor/uplot/uPlot.min.css", import.meta.url).href }));
}

function fmt(n) {
  return new Intl.NumberFormat(lang()).format(n);
}

// fmtAxis keeps axis labels short at phone width (12K, 1.2M; 万 in Chinese).
function fmtAxis(n) {
  return new Intl.NumberFormat(lang(), { notation: "compact", maximumFractionDigits: 1 }).format(n);
}

// summary says a series in one sentence, for screen readers.
export function summary(days, s) {
  const values = s.values.map((v) => v || 0);
  const params = {
    label: s.label, from: days[0] || "", to: days.at(-1) || "",
    last: fmt(values.at(-1) || 0), max: fmt(Math.max(0, ...values)), total: fmt(values.reduce((a, b) => a + b, 0)),
  };
  return t(s.sum === false ? "chartSummaryLevel" : "chartSummarySum", params);
}

// lineChart draws daily series into el: days are "YYYY-MM-DD", oldest
// first; each series has a label (already translated), one value per day,
// and sum: false where adding days up means nothing (distinct users).
// It returns {destroy}.
export function lineChart(el, { title, days, series, height = 220, test }) {
  linkCSS();
  const plot = h("div", { class: "chart-plot", role: "img", "aria-label": series.map((s) => summary(days, s)).join(" ") });
  const fig = h("figure", { class: "chart", "data-test": test },
    title ? h("figcaption", {}, title) : null,
    plot,
    dataTable(days, series));
  el.replaceChildren(fig);

  const opts = {
    width: plot.clientWidth || 600,
    height,
    scales: {
      x: { time: false },
      // From zero, with room above the highest value.
      y: { range: (u, min, max) => [0, max > 0 ? max * 1.1 : 1] },
    },
    axes: [
      {
        space: 44, incrs: [1, 2, 5, 7, 14, 30, 60], grid: { show: false },
        values: (u, splits) => splits.map((i) => (Number.isInteger(i) && days[i] ? days[i].slice(5) : "")),
      },
      { size: 48, incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1e3, 2e3, 5e3, 1e4, 2e4, 5e4, 1e5, 2e5, 5e5, 1e6, 1e7],
        values: (u, splits) => splits.map(fmtAxis) },
    ],
    series: [
      { label: t("chartDay"), value: (u, i) => (i == null ? "—" : days[i] || "—") },
      ...series.map((s, k) => ({
        label: s.label, stroke: COLORS[k % COLORS.length], width: 2,
        points: { show: days.length <= 31 },
        value: (u, v) => (v == null ? "—" : fmt(v)),
      })),
    ],
    cursor: { drag: { x: false, y: false } },
    legend: { live: true },
    hooks: { setCursor: [lastDayLegend(days)], ready: [lastDayLegend(days)], setSize: [lastDayLegend(days)] },
  };
  const u = new uPlot(opts, [days.map((_, i) => i), ...series.map((s) => s.values)], plot);
  // The chart follows its box: phone width, a rotated phone, a resized window.
  const ro = new ResizeObserver(() => {
    const w = plot.clientWidth;
    if (w > 0 && w !== u.width) u.setSize({ width: w, height });
  });
  ro.observe(plot);
  return { destroy: () => { ro.disconnect(); u.destroy(); } };
}

// lastDayLegend makes the legend say the last day whenever the pointer is
// not on the chart (uPlot shows "—" then).
function lastDayLegend(days) {
  return (u) => {
    if (days.length && u.cursor.idx == null && u.legend.idxs?.[1] !== days.length - 1) u.setLegend({ idx: days.length - 1 });
  };
}

// dataTable is the chart's numbers, folded away until asked for.
function dataTable(days, series) {
  return h("details", { class: "chart-data" },
    h("summary", {}, t("chartShowTable")),
    h("div", { class: "table-wrap" },
      h("table", {},
        h("thead", {}, h("tr", {}, h("th", { scope: "col" }, t("chartDay")), series.map((s) => h("th", { scope: "col" }, s.label)))),
        h("tbody", {}, days.map((d, i) => h("tr", {},
          h("th", { scope: "row" }, d),
          series.map((s) => h("td", { class: "num" }, fmt(s.values[i] || 0)))))))));
}

// barChart draws counts by category, largest first, as rows of label, bar
// and number: items are [{label, value}], labels already translated. The
// rows are a table, so the numbers read without the bars.
export function barChart(el, { title, items, test }) {
  const sorted = [...items].sort((a, b) => b.value - a.value);
  const max = Math.max(1, ...sorted.map((i) => i.value));
  const rows = sorted.map((i) => {
    const bar = h("span", { class: "bar", "aria-hidden": "true" });
    bar.style.width = ((i.value / max) * 100).toFixed(1) + "%";
    return h("tr", {},
      h("th", { scope: "row" }, i.label),
      h("td", {}, h("span", { class: "bar-line" }, bar, h("span", { class: "num" }, fmt(i.value)))));
  });
  el.replaceChildren(h("figure", { class: "chart", "data-test": test },
    title ? h("figcaption", {}, title) : null,
    sorted.length
      ? h("table", { class: "bars" },
        h("thead", { class: "visually-hidden" }, h("tr", {},
          h("th", { scope: "col" }, t("chartCause")), h("th", { scope: "col" }, t("chartCount")))),
        h("tbody", {}, rows))
      : h("p", { class: "empty" }, t("chartNoFailures"))));
}

// label translates a code of a kind (cause_invalid_code, way_sms), or
// shows the code itself when the console does not know it yet.
function label(kind, code) {
  const key = kind + "_" + code;
  const s = t(key);
  return s === key ? code : s;
}

export const causeLabel = (code) => label("cause", code);
export const wayLabel = (code) => label("way", code);
