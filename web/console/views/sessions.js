import { api, q } from "../api.js";
import { h, mount, table, fmtTime } from "../dom.js";
import { t, lang } from "../i18n.js";
import { guard, confirmAction, toast, showError } from "../app.js";

// sessionsView: the tenant's live sessions, filterable by user and app,
// paged by cursor (users by latest login), each revocable; and the
// tenant-wide revocation.
export async function sessionsView(root, ctx) {
  const user = h("input", { placeholder: t("sessUserFilter"), "aria-label": t("userId"), "data-test": "sess-user" });
  const app = h("select", { "aria-label": t("sessApp"), "data-test": "sess-app" }, h("option", { value: "" }, t("sessAllApps")));
  const go = h("button", { type: "submit", "data-test": "sess-filter" }, t("filter"));
  const list = h("div", {});
  const prev = h("button", { "data-test": "sess-prev" }, t("previous"));
  const next = h("button", { "data-test": "sess-next" }, t("next"));
  const cursors = [""];
  let page = 0;

  async function load() {
    let r;
    try {
      r = await api("GET", ctx.path + "/sessions" + q({ user: user.value.trim(), app: app.value, cursor: cursors[page], limit: 20 }));
    } catch (e) {
      return showError(e);
    }
    cursors[page + 1] = r.next;
    prev.disabled = page === 0;
    next.disabled = !r.next;
    const rows = r.sessions.map((s) => {
      const b = h("button", { class: "small danger", "data-test": "sess-revoke" }, t("revoke"));
      b.addEventListener("click", async () => {
        if (!(await confirmAction(t("confirmRevokeOne"), t("revoke")))) return;
        guard(b, async () => {
          await api("DELETE", ctx.path + "/users/" + encodeURIComponent(s.user) + "/sessions/" + encodeURIComponent(s.id));
          toast(t("sessionRevoked"));
          load();
        });
      });
      const cell = (label, ...c) => h("td", { "data-label": label }, ...c);
      return h("tr", { "data-test": "sess-row" },
        cell(t("userId"), h("a", { href: ctx.base + "/users/" + encodeURIComponent(s.user), "data-test": "sess-user-link" }, s.nickname || s.user)),
        cell(t("sessApp"), h("code", {}, s.appid || "—")),
        cell(t("created"), fmtTime(s.created_at, lang())),
        cell(t("lastSeen"), fmtTime(s.last_seen_at, lang())),
        cell(t("idleExpires"), fmtTime(s.idle_expires_at, lang())),
        cell("IP", s.ip || "—"),
        h("td", { class: "wrap", "data-label": t("userAgent") }, s.user_agent || "—"),
        h("td", { class: "actions" }, b));
    });
    mount(list, rows.length
      ? table([t("userId"), t("sessApp"), t("created"), t("lastSeen"), t("idleExpires"), "IP", t("userAgent"), ""], rows,
        { class: "stack", "data-test": "tenant-sessions-table" })
      : h("p", { class: "empty", "data-test": "sess-empty" }, r.next ? t("sessNoneOnPage") : t("noSessions")));
  }
  const form = h("form", { class: "row" }, user, app, go);
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    cursors.length = 1;
    page = 0;
    load();
  });
  prev.addEventListener("click", () => { if (page > 0) { page--; load(); } });
  next.addEventListener("click", () => { if (cursors[page + 1]) { page++; load(); } });

  const done = h("p", { class: "result ok", role: "status", "data-test": "revoke-tenant-done" });
  const all = h("button", { class: "danger", "data-test": "revoke-tenant" }, t("revokeAllTenant"));
  all.addEventListener("click", async () => {
    if (!(await confirmAction(t("confirmRevokeTenant", { tenant: ctx.tenant.name }), t("revoke")))) return;
    guard(all, async () => {
      await api("POST", ctx.path + "/sessions/revoke-all");
      done.textContent = t("tenantSessionsRevoked");
      load();
    });
  });
  mount(root,
    h("section", { class: "card" }, h("h2", {}, t("tab_sessions")), h("p", { class: "hint" }, t("sessHint")),
      form, list, h("div", { class: "row pager" }, prev, next)),
    h("section", { class: "card" }, h("h2", {}, t("revokeAllTenant")), h("p", {}, t("revokeAllHint")), all, done));
  try {
    const apps = (await api("GET", ctx.path + "/apps")).apps || [];
    for (const a of apps) app.append(h("option", { value: a.appid }, a.appid));
  } catch (e) {
    showError(e);
  }
  load();
}
