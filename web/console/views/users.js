import { api, q, ApiError } from "../api.js";
import { h, mount, table, fmtTime } from "../dom.js";
import { t, lang } from "../i18n.js";
import { guard, toast, confirmAction, showError } from "../app.js";
import { importCard, banForm, loginsCard } from "./userdata.js";

// usersView: search and keyset pages (newest first). The cursors of the
// pages seen are kept so that "previous" works without offsets.
export function usersView(root, ctx) {
  const search = h("input", { type: "search", placeholder: t("searchUsers"), "aria-label": t("searchUsers"), "data-test": "user-search" });
  const go = h("button", { type: "submit", "data-test": "user-search-go" }, t("search"));
  const list = h("div", {});
  const prev = h("button", { "data-test": "page-prev" }, t("previous"));
  const next = h("button", { "data-test": "page-next" }, t("next"));
  const cursors = [""];
  let page = 0;

  async function load() {
    let r;
    try {
      r = await api("GET", ctx.path + "/users" + q({ q: search.value.trim(), after: cursors[page], limit: 20 }));
    } catch (e) {
      return showError(e);
    }
    cursors[page + 1] = r.next;
    prev.disabled = page === 0;
    next.disabled = !r.next;
    const rows = r.users.map((u) => h("tr", {},
      h("td", {}, h("a", { href: ctx.base + "/users/" + encodeURIComponent(u.id), "data-test": "user-link" }, h("code", {}, u.id))),
      h("td", {}, u.nickname || "—"),
      h("td", {}, h("span", { class: "badge " + u.status }, t("status_" + u.status))),
      h("td", {}, fmtTime(u.created_at, lang())),
      h("td", {}, fmtTime(u.last_login_at, lang()))));
    mount(list, rows.length
      ? table([t("userId"), t("nickname"), t("status"), t("created"), t("lastLogin")], rows, { "data-test": "users-table" })
      : h("p", { class: "empty", "data-test": "users-empty" }, t("noUsers")));
  }
  const form = h("form", { class: "row" }, search, go);
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    cursors.length = 1;
    page = 0;
    load();
  });
  prev.addEventListener("click", () => { if (page > 0) { page--; load(); } });
  next.addEventListener("click", () => { if (cursors[page + 1]) { page++; load(); } });
  mount(root, h("section", { class: "card" }, h("h2", {}, t("tab_users")), h("p", { class: "hint" }, t("searchHint")),
    form, list, h("div", { class: "row pager" }, prev, next)), importCard(ctx, () => { cursors.length = 1; page = 0; load(); }));
  load();
}

// userView: one user with identities and sessions, and the admin actions.
export async function userView(root, ctx, id) {
  const path = ctx.path + "/users/" + encodeURIComponent(id);
  let r;
  try {
    r = await api("GET", path);
  } catch (e) {
    if (e instanceof ApiError && e.status === 404) {
      mount(root, h("p", { class: "empty" }, t("userNotFound")), h("a", { href: ctx.base + "/users" }, t("backToUsers")));
      return;
    }
    return showError(e);
  }
  const u = r.user;
  const reload = () => userView(root, ctx, id);
  const banned = u.status === "banned";
  const ban = banForm(path, u, reload); // userdata.js: reason and end, or unban
  const revokeAll = h("button", { "data-test": "user-revoke-all" }, t("revokeUserSessions"));
  revokeAll.addEventListener("click", async () => {
    if (!(await confirmAction(t("confirmRevokeUser"), t("revoke")))) return;
    guard(revokeAll, async () => {
      const x = await api("DELETE", path + "/sessions");
      toast(t("sessionsRevoked", { n: x.revoked }));
      reload();
    });
  });
  const del = h("button", { class: "danger", "data-test": "user-delete" }, t("deleteUser"));
  del.addEventListener("click", async () => {
    if (!(await confirmAction(t("confirmDeleteUser"), t("deleteUser")))) return;
    guard(del, async () => {
      await api("DELETE", path);
      toast(t("userDeleted"));
      location.hash = ctx.base + "/users";
    });
  });
  const dl = (pairs) => h("dl", { class: "props" }, pairs.map(([k, v]) => [h("dt", {}, k), h("dd", {}, v)]));
  const sessRows = (r.sessions || []).map((s) => {
    const b = h("button", { class: "small", "data-test": "session-revoke" }, t("revoke"));
    b.addEventListener("click", async () => {
      if (!(await confirmAction(t("confirmRevokeOne"), t("revoke")))) return;
      guard(b, async () => {
        await api("DELETE", path + "/sessions/" + encodeURIComponent(s.id));
        toast(t("sessionRevoked"));
        reload();
      });
    });
    return h("tr", {}, h("td", {}, h("code", {}, s.id.slice(0, 10) + "…")), h("td", {}, fmtTime(s.created_at, lang())),
      h("td", {}, fmtTime(s.last_seen_at, lang())), h("td", {}, fmtTime(s.idle_expires_at, lang())), h("td", {}, s.ip || "—"), h("td", { class: "wrap" }, s.user_agent || "—"), h("td", {}, b));
  });
  mount(root,
    h("p", {}, h("a", { href: ctx.base + "/users", "data-test": "back-users" }, "← " + t("backToUsers"))),
    h("section", { class: "card" },
      h("h2", {}, u.nickname || t("unnamed"), " ", h("span", { class: "badge " + u.status, "data-test": "user-status" }, t("status_" + u.status))),
      dl([[t("userId"), h("code", {}, u.id)], [t("phone"), u.phone || "—"], ["unionid", u.unionid || "—"],
        [t("created"), fmtTime(u.created_at, lang())], [t("lastLogin"), fmtTime(u.last_login_at, lang())],
        ...(banned ? [[t("banReason"), h("span", { "data-test": "ban-reason" }, u.ban_reason || "—")],
          [t("bannedUntil"), h("span", { "data-test": "banned-until" }, u.banned_until ? fmtTime(u.banned_until, lang()) : t("banNoEnd"))]] : [])]),
      ban.form,
      h("div", { class: "row" }, ban.button, revokeAll, del)),
    // Every way in (issue 15): the WeChat identities by their app's kind, and the phone.
    h("section", { class: "card", "data-test": "ways-in" }, h("h2", {}, t("waysIn")),
      table([t("wayKind"), "AppID", "openid", "unionid", t("lastUsed")], [
        ...(r.identities || []).map((i) =>
          h("tr", { "data-test": "way-" + i.kind }, h("td", {}, t("way_" + i.kind)), h("td", {}, i.appid), h("td", {}, h("code", {}, i.openid)),
            h("td", {}, i.unionid || "—"), h("td", {}, i.last_login_at ? fmtTime(i.last_login_at, lang()) : t("neverUsed")))),
        ...(u.phone ? [h("tr", { "data-test": "way-phone" }, h("td", {}, t("way_phone")), h("td", {}, "—"), h("td", {}, u.phone), h("td", {}, "—"),
          h("td", {}, u.phone_last_login_at ? fmtTime(u.phone_last_login_at, lang()) : t("neverUsed")))] : []),
      ], { "data-test": "ways-in-table" })),
    h("section", { class: "card" }, h("h2", {}, t("tab_sessions")),
      sessRows.length
        ? table([t("session"), t("created"), t("lastSeen"), t("idleExpires"), "IP", t("userAgent"), ""], sessRows, { "data-test": "sessions-table" })
        : h("p", { class: "empty", "data-test": "no-sessions" }, t("noSessions"))),
    loginsCard(path));
}
