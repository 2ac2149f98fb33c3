// Charts of use: a tenant's (on its overview) and the platform's (its own
// page, #/usage). The numbers come from GET …/usage (docs/api.md, "Usage"):
// one value per day, oldest first, the last today, in Beijing time.
import { api, ApiError } from "../api.js";
import { h, mount, table } from "../dom.js";
import { t } from "../i18n.js";
import { crumbs, showError, signedOut } from "../app.js";
import { lineChart, barChart, causeLabel, wayLabel } from "../chart.js";

const WAYS = ["miniprogram", "oauth", "sms", "app", "website"];

// select builds a labelled <select> of [value, label] pairs.
function select(label, test, options, value) {
  const el = h("select", { "data-test": test },
    options.map(([v, l]) => h("option", { value: v, selected: v === value }, l)));
  return { el, field: h("label", { class: "field" }, h("span", {}, label), el) };
}

// draw renders the four charts of a usage answer into el and returns what
// must be destroyed before the next drawing.
function draw(el, u) {
  const days = u.days;
  const boxes = ["logins", "new-users", "users", "causes"].map((k) => h("div", { class: "usage-chart", "data-usage": k }));
  el.replaceChildren(...boxes);
  const charts = [
    lineChart(boxes[0], { title: t("usageLoginsPerDay"), test: "chart-logins", days,
      series: [{ label: t("chartLogins"), values: u.logins }, { label: t("chartFailed"), values: u.failed }] }),
    lineChart(boxes[1], { title: t("usageNewUsersPerDay"), test: "chart-new-users", days,
      series: [{ label: t("chartNewUsers"), values: u.new_users }] }),
    lineChart(boxes[2], { title: t("usageActiveUsers"), test: "chart-active-users", days,
      series: [{ label: t("chartDAU"), values: u.dau, sum: false },
        ...(u.mau_daily ? [{ label: t("chartMAU"), values: u.mau_daily, sum: false }] : [])] }),
  ];
  barChart(boxes[3], { title: t("chartFailedByCause"), test: "chart-causes",
    items: u.failed_by_cause.map((c) => ({ label: causeLabel(c.cause), value: c.count })) });
  return charts;
}

// totals is a row of figures over the window, and MAU.
function totals(u) {
  const sum = (a) => a.reduce((x, y) => x + y, 0);
  const stat = (key, label, value) => h("div", { class: "stat", "data-test": "usage-" + key },
    h("span", { class: "num" }, new Intl.NumberFormat().format(value)), h("span", { class: "label" }, label));
  return h("div", { class: "stats" },
    stat("logins", t("chartLogins"), sum(u.logins)), stat("new-users", t("chartNewUsers"), sum(u.new_users)),
    stat("failed", t("chartFailed"), sum(u.failed)), stat("mau", t("usageMAUNow"), u.mau));
}

function countCells(x) {
  const n = (v) => h("td", { class: "num" }, new Intl.NumberFormat().format(v));
  return [n(x.logins), n(x.new_users), n(x.failed)];
}

function appName(a) {
  if (a.appid) return a.appid;
  return a.removed ? t("usageRemovedApp") : t("usageNoApp");
}

// fetchUsage is api() that sends an expired console session back to the
// sign-in page and shows any other error.
async function fetchUsage(path) {
  try {
    return await api("GET", path);
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) signedOut();
    else showError(e);
    return null;
  }
}

// usageCharts fills el with a tenant's charts and their selectors (30/90
// days, one app, one way in).
export function usageCharts(el, ctx) {
  const apps = (ctx.tenant.apps || []).map((a) => [a.appid, a.appid]);
  const days = select(t("usagePeriod"), "usage-days", [["30", t("chartLast30")], ["90", t("chartLast90")]], "30");
  const app = select(t("usageApp"), "usage-app", [["", t("chartAllApps")], ...apps], "");
  const way = select(t("usageWay"), "usage-way", [["", t("chartAllWays")], ...WAYS.map((w) => [w, wayLabel(w)])], "");
  const body = h("div", { class: "usage-body", "data-test": "usage-body" });
  mount(el, h("section", { class: "card usage", "data-test": "usage" },
    h("h2", {}, t("usageTitle")),
    h("div", { class: "grid usage-controls" }, days.field, app.field, way.field),
    body,
    h("p", { class: "muted" }, t("chartZone"))));
  let charts = [];
  let seq = 0;
  const load = async () => {
    const mine = ++seq;
    const q = new URLSearchParams({ days: days.el.value });
    if (app.el.value) q.set("app", app.el.value);
    if (way.el.value) q.set("way", way.el.value);
    const u = await fetchUsage(ctx.path + "/usage?" + q);
    if (!u || mine !== seq) return; // a newer choice is loading
    charts.forEach((c) => c.destroy());
    const chartsBox = h("div", { class: "usage-charts" });
    const rows = (list, name) => list.map((x) => h("tr", {}, h("td", {}, name(x)), countCells(x)));
    const heads = (first) => [first, t("chartLogins"), t("chartNewUsers"), t("chartFailed")];
    mount(body, totals(u), chartsBox,
      h("div", { class: "usage-breakdowns" },
        h("div", {}, h("h3", {}, t("usageByApp")),
          u.apps.length ? table(heads(t("usageApp")), rows(u.apps, appName), { "data-test": "usage-apps" })
            : h("p", { class: "empty" }, t("usageNothing"))),
        h("div", {}, h("h3", {}, t("usageByWay")),
          u.ways.length ? table(heads(t("usageWay")), rows(u.ways, (x) => wayLabel(x.way)), { "data-test": "usage-ways" })
            : h("p", { class: "empty" }, t("usageNothing")))));
    charts = draw(chartsBox, u);
    el.dataset.loaded = String(mine);
  };
  [days.el, app.el, way.el].forEach((s) => s.addEventListener("change", load));
  return load();
}

// platformUsageView is the platform admin's page of every tenant's use
// together, with the tenants that log in most.
export async function platformUsageView(root) {
  crumbs();
  const days = select(t("usagePeriod"), "usage-days", [["30", t("chartLast30")], ["90", t("chartLast90")]], "30");
  const body = h("div", { class: "usage-body", "data-test": "usage-body" });
  mount(root, h("section", {},
    h("h1", {}, t("platformUsage")),
    h("section", { class: "card usage", "data-test": "usage" },
      h("div", { class: "grid usage-controls" }, days.field),
      body,
      h("p", { class: "muted" }, t("chartZone")))));
  let charts = [];
  let seq = 0;
  const load = async () => {
    const mine = ++seq;
    const u = await fetchUsage("/usage?days=" + days.el.value);
    if (!u || mine !== seq) return;
    charts.forEach((c) => c.destroy());
    const chartsBox = h("div", { class: "usage-charts" });
    const rows = u.tenants.map((x) => h("tr", {},
      h("td", {}, h("a", { href: "#/t/" + encodeURIComponent(x.slug), "data-test": "usage-tenant-link" }, x.name),
        " ", h("small", {}, x.slug)),
      countCells(x)));
    mount(body, totals(u), chartsBox,
      h("h3", {}, t("usageTopTenants")),
      h("p", { class: "muted", "data-test": "usage-tenant-count" }, t("usageTenantCount", { n: u.tenant_count })),
      rows.length ? table([t("tenant"), t("chartLogins"), t("chartNewUsers"), t("chartFailed")], rows, { "data-test": "usage-tenants" })
        : h("p", { class: "empty" }, t("usageNothing")));
    charts = draw(chartsBox, u);
    root.dataset.loaded = String(mine);
  };
  days.el.addEventListener("change", load);
  return load();
}
