// Small DOM helpers. Text always goes in as text nodes, never as HTML, so
// nothing that comes from the API (nicknames, user agents) can inject markup.

// h creates an element: h("button", {class: "x", onclick: fn}, "text", child…).
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith("on") && typeof v === "function") el.addEventListener(k.slice(2), v);
    else if (k === "class") el.className = v;
    else if (k === "value") el.value = v;
    else if (v === true) el.setAttribute(k, "");
    else el.setAttribute(k, String(v));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === undefined || c === null || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

// mount replaces the children of el.
export function mount(el, ...children) {
  el.replaceChildren();
  append(el, children);
}

// field is a labelled input.
export function field(label, input) {
  return h("label", { class: "field" }, h("span", {}, label), input);
}

// table builds a responsive table; rows are arrays of cells. Each cell
// carries its column's name (data-label): on a phone the rows are laid out
// as cards (style.css), each cell under its name, every action in reach.
export function table(headers, rows, attrs = {}) {
  for (const tr of [rows].flat()) {
    if (!(tr instanceof Element)) continue;
    [...tr.children].forEach((td, i) => { if (headers[i]) td.setAttribute("data-label", headers[i]); });
  }
  return h("div", { class: "table-wrap" },
    h("table", attrs,
      h("thead", {}, h("tr", {}, headers.map((x) => h("th", {}, x)))),
      h("tbody", {}, rows)));
}

export function fmtTime(s, lang) {
  if (!s) return "—";
  const d = new Date(s);
  if (Number.isNaN(d.getTime())) return "—";
  return d.toLocaleString(lang === "zh-CN" ? "zh-CN" : "en-GB", { dateStyle: "medium", timeStyle: "short" });
}
