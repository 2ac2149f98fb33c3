import { api } from "../api.js";
import { h, mount } from "../dom.js";
import { t } from "../i18n.js";
import { guard, confirmAction } from "../app.js";

// sessionsView: tenant-wide revocation. A user's own sessions are listed
// and revoked on the user's page.
export function sessionsView(root, ctx) {
  const done = h("p", { class: "result ok", role: "status", "data-test": "revoke-tenant-done" });
  const all = h("button", { class: "danger", "data-test": "revoke-tenant" }, t("revokeAllTenant"));
  all.addEventListener("click", async () => {
    if (!(await confirmAction(t("confirmRevokeTenant", { tenant: ctx.tenant.name }), t("revoke")))) return;
    guard(all, async () => {
      await api("POST", ctx.path + "/sessions/revoke-all");
      done.textContent = t("tenantSessionsRevoked");
    });
  });
  mount(root,
    h("section", { class: "card" }, h("h2", {}, t("revokeAllTenant")), h("p", {}, t("revokeAllHint")), all, done),
    h("section", { class: "card" }, h("h2", {}, t("userSessions")), h("p", {}, t("userSessionsHint")),
      h("a", { href: ctx.base + "/users" }, t("tab_users") + " →")));
}
