import { api, q } from "../api.js";
import { h, mount, table, fmtTime } from "../dom.js";
import { t, lang } from "../i18n.js";
import { crumbs, showError } from "../app.js";

// auditView: a tenant's audit log (ctx set) or the whole platform's
// (ctx null, platform admins), filterable by action, actor, target and a
// date range, paged by id, exportable as CSV with the same filters.
// Actions read as words (act_<action>, the code beside them); the users
// and objects a line names link to their screens.
export function auditView(root, ctx) {
  if (!ctx) crumbs();
  const path = ctx ? ctx.path + "/audit" : "/audit";
  const action = h("input", { placeholder: t("actionFilter"), "aria-label": t("action"), "data-test": "audit-action" });
  const actor = h("input", { placeholder: t("actorFilter"), "aria-label": t("actor") });
  const target = h("input", { placeholder: t("targetFilter"), "aria-label": t("target"), "data-test": "audit-target" });
  const from = h("input", { type: "date", "aria-label": t("auditFrom"), "data-test": "audit-from" });
  const to = h("input", { type: "date", "aria-label": t("auditTo"), "data-test": "audit-to" });
  const go = h("button", { type: "submit", "data-test": "audit-filter" }, t("filter"));
  const exportLink = h("a", { class: "button", "data-test": "audit-export" }, t("auditExport"));
  const list = h("div", {});
  const more = h("button", { "data-test": "audit-more" }, t("older"));
  let before = 0;
  let rows = [];

  // The dates are the admin's own days: their bounds go as instants.
  const filters = () => ({ scope: ctx ? "" : "all", action: action.value.trim(), actor: actor.value.trim(),
    target: target.value.trim(),
    from: from.value ? new Date(from.value + "T00:00:00").toISOString() : "",
    to: to.value ? new Date(new Date(to.value + "T00:00:00").getTime() + 86400000).toISOString() : "" });

  async function load(reset) {
    if (reset) { before = 0; rows = []; }
    exportLink.href = "/admin/api" + path + "/export" + q(filters());
    let r;
    try {
      r = await api("GET", path + q({ ...filters(), before: before || "", limit: 50 }));
    } catch (e) {
      return showError(e);
    }
    rows = rows.concat(r.entries.map((x) => h("tr", { "data-test": "audit-row" },
      h("td", { "data-label": t("time") }, fmtTime(x.created_at, lang())),
      ctx ? null : h("td", { "data-label": t("tenant") }, live(x.tenant) ? h("a", { href: "#/t/" + encodeURIComponent(x.tenant) }, x.tenant) : x.tenant || "—"),
      h("td", { "data-label": t("action") }, h("span", { "data-test": "audit-label" }, actionLabel(x.action)), " ", h("code", { class: "muted" }, x.action)),
      h("td", { class: "wrap", "data-label": t("actor") }, t("actor_" + x.actor_type) + (x.actor_id ? ": " + x.actor_id : "")),
      h("td", { class: "wrap", "data-label": t("target") }, targetCell(x, ctx)),
      h("td", { "data-label": "IP" }, x.ip || "—"),
      h("td", { class: "wrap details", "data-label": t("details") }, x.details ? JSON.stringify(x.details) : ""))));
    before = r.next;
    more.hidden = !r.next;
    const heads = [t("time"), ctx ? null : t("tenant"), t("action"), t("actor"), t("target"), "IP", t("details")].filter((x) => x !== null);
    mount(list, rows.length ? table(heads, rows, { class: "stack", "data-test": "audit-table" }) : h("p", { class: "empty", "data-test": "audit-empty" }, t("noAudit")));
  }
  const form = h("form", { class: "row" }, action, actor, target, h("label", { class: "inline" }, t("auditFrom"), " ", from),
    h("label", { class: "inline" }, t("auditTo"), " ", to), go, exportLink);
  form.addEventListener("submit", (ev) => { ev.preventDefault(); load(true); });
  more.addEventListener("click", () => load(false));
  mount(root, h("section", { class: "card" }, h("h2", {}, ctx ? t("tab_audit") : t("platformAudit")), form, list, more));
  load(true);
}

// actionLabel is an action in words, or its code when none is known.
function actionLabel(code) {
  const key = "act_" + code;
  const s = t(key);
  return s === key ? code : s;
}

// live: a slug of a tenant that still exists (a deleted one reads "#<id>").
const live = (slug) => !!slug && !slug.startsWith("#");

// targetCell names what a line is about, linked to its screen in the
// tenant the line belongs to.
function targetCell(x, ctx) {
  if (!x.target_type && !x.target_id) return "";
  const slug = ctx ? ctx.tenant.slug : x.tenant;
  const base = live(slug) ? "#/t/" + encodeURIComponent(slug) : "";
  const id = x.target_id || "";
  const label = t("target_" + x.target_type);
  const kind = label === "target_" + x.target_type ? x.target_type : label;
  let href = "";
  switch (x.target_type) {
    case "user": href = base && id ? base + "/users/" + encodeURIComponent(id) : ""; break;
    case "tenant": href = live(id) ? "#/t/" + encodeURIComponent(id) : ""; break;
    case "app": case "mp_verify_file": href = base && base + "/apps"; break;
    case "webhook": case "webhook_delivery": case "api_key": case "signing_key": href = base && base + "/backends"; break;
    case "admin": case "setting": case "sms_settings": href = base && base + "/settings"; break;
  }
  const text = kind + (id ? ": " + id : "");
  return href ? h("a", { href, "data-test": "audit-target-link" }, text) : text;
}
