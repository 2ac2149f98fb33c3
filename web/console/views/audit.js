import { api, q } from "../api.js";
import { h, mount, table, fmtTime } from "../dom.js";
import { t, lang } from "../i18n.js";
import { crumbs, showError } from "../app.js";

// auditView: a tenant's audit log (ctx set) or the whole platform's
// (ctx null, platform admins), filterable, paged by id.
export function auditView(root, ctx) {
  if (!ctx) crumbs();
  const path = ctx ? ctx.path + "/audit" : "/audit";
  const action = h("input", { placeholder: t("actionFilter"), "aria-label": t("action"), "data-test": "audit-action" });
  const actor = h("input", { placeholder: t("actorFilter"), "aria-label": t("actor") });
  const target = h("input", { placeholder: t("targetFilter"), "aria-label": t("target") });
  const go = h("button", { type: "submit" }, t("filter"));
  const list = h("div", {});
  const more = h("button", { "data-test": "audit-more" }, t("older"));
  let before = 0;
  let rows = [];

  async function load(reset) {
    if (reset) { before = 0; rows = []; }
    let r;
    try {
      r = await api("GET", path + q({ scope: ctx ? "" : "all", action: action.value.trim(), actor: actor.value.trim(),
        target: target.value.trim(), before: before || "", limit: 50 }));
    } catch (e) {
      return showError(e);
    }
    rows = rows.concat(r.entries.map((x) => h("tr", {},
      h("td", {}, fmtTime(x.created_at, lang())),
      ctx ? null : h("td", {}, x.tenant || "—"),
      h("td", {}, h("code", {}, x.action)),
      h("td", { class: "wrap" }, x.actor_type + ": " + (x.actor_id || "—")),
      h("td", { class: "wrap" }, (x.target_type ? x.target_type + ": " : "") + (x.target_id || "")),
      h("td", {}, x.ip || "—"),
      h("td", { class: "wrap details" }, x.details ? JSON.stringify(x.details) : ""))));
    before = r.next;
    more.hidden = !r.next;
    const heads = [t("time"), ctx ? null : t("tenant"), t("action"), t("actor"), t("target"), "IP", t("details")].filter((x) => x !== null);
    mount(list, rows.length ? table(heads, rows, { "data-test": "audit-table" }) : h("p", { class: "empty" }, t("noAudit")));
  }
  const form = h("form", { class: "row" }, action, actor, target, go);
  form.addEventListener("submit", (ev) => { ev.preventDefault(); load(true); });
  more.addEventListener("click", () => load(false));
  mount(root, h("section", { class: "card" }, h("h2", {}, ctx ? t("tab_audit") : t("platformAudit")), form, list, more));
  load(true);
}
