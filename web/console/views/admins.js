// admins: the platform admin's list of console admins (invite, disable,
// enable, remove, reissue an invite, turn off a lost phone's MFA) and the
// platform setting that requires MFA of platform admins.
import { api } from "../api.js";
import { h, mount, field, fmtTime } from "../dom.js";
import { t, lang } from "../i18n.js";
import { crumbs, toast, confirmAction, guard } from "../app.js";
import { errText } from "./adminerr.js";

export async function adminsView(root) {
  crumbs();
  let list, settings;
  try {
    [list, settings] = await Promise.all([api("GET", "/admins"), api("GET", "/platform/settings")]);
  } catch (e) {
    mount(root, h("p", { class: "error", role: "alert" }, errText(e)));
    return;
  }
  const shown = h("div", {});
  const reload = () => adminsView(root);
  // Rows as cards: every action stays reachable at phone width.
  const rows = list.admins.map((a) => {
    const enc = encodeURIComponent(a.email);
    const act = (label, test, method, path, confirmText, after, danger) =>
      h("button", { class: "small" + (danger ? " danger" : ""), "data-test": test, onclick: (ev) => guard(ev.currentTarget, async () => {
        if (confirmText && !(await confirmAction(confirmText, label))) return;
        const r = await api(method, "/admins/" + enc + path);
        after(r);
      }) }, label);
    const actions = [];
    if (a.status === "invited") {
      actions.push(act(t("reissueInvite"), "admin-reissue", "POST", "/invite", null, (r) => { mount(shown, inviteCard(r)); }));
    }
    if (a.status === "disabled") {
      actions.push(act(t("enable"), "admin-enable", "POST", "/enable", null, () => { toast(t("adminEnabled")); reload(); }));
    } else {
      actions.push(act(t("disable"), "admin-disable", "POST", "/disable", t("confirmDisableAdmin", { email: a.email }),
        () => { toast(t("adminDisabled")); reload(); }, true));
    }
    if (a.mfa) {
      actions.push(act(t("resetMFA"), "admin-reset-mfa", "DELETE", "/mfa", t("confirmResetMFA", { email: a.email }),
        () => { toast(t("mfaTurnedOff")); reload(); }, true));
    }
    actions.push(act(t("remove"), "admin-remove", "DELETE", "", t("confirmRemoveAnyAdmin", { email: a.email }),
      () => { toast(t("adminRemoved")); reload(); }, true));
    return h("li", { class: "admin-row", "data-test": "admin-row", "data-email": a.email },
      h("div", { class: "admin-main" },
        h("strong", { class: "admin-email" }, a.email),
        h("span", { class: "badge " + a.status, "data-test": "admin-status" }, t("status_" + a.status)),
        h("span", { class: "badge" }, a.role === "platform" ? t("role_platform") : t("role_tenant") + " · " + (a.tenant || "")),
        h("span", { class: "badge " + (a.mfa ? "active" : "") }, a.mfa ? t("mfaOn") : t("mfaOff"))),
      h("div", { class: "hint" }, t("lastSignIn") + ": " + fmtTime(a.last_login_at, lang())),
      h("div", { class: "row" }, actions));
  });

  const email = h("input", { type: "email", required: true, "data-test": "invite-email" });
  const role = h("select", { "data-test": "invite-role" },
    h("option", { value: "tenant" }, t("role_tenant")), h("option", { value: "platform" }, t("role_platform")));
  const tenant = h("input", { placeholder: "acme", "data-test": "invite-tenant" });
  role.addEventListener("change", () => { tenant.disabled = role.value === "platform"; });
  const submit = h("button", { type: "submit", class: "primary", "data-test": "invite-submit" }, t("invite"));
  const err = h("p", { class: "error", role: "alert", "data-test": "invite-error" });
  const inviteForm = h("form", { class: "card", novalidate: true },
    h("h2", {}, t("inviteAdmin")),
    h("div", { class: "grid" }, field(t("email"), email), field(t("role"), role), field(t("tenantSlug"), tenant)),
    h("p", { class: "hint" }, t("inviteHint")), err, submit);
  inviteForm.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    err.textContent = "";
    submit.disabled = true;
    try {
      const body = { email: email.value, role: role.value };
      if (role.value === "tenant") body.tenant = tenant.value;
      const r = await api("POST", "/admins", body);
      email.value = "";
      await adminsView(root);
      mount(root.querySelector("[data-test=invite-shown]"), inviteCard(r));
    } catch (e) {
      err.textContent = errText(e);
    } finally {
      submit.disabled = false;
    }
  });

  const require = h("input", { type: "checkbox", checked: settings.require_mfa_for_platform_admins, "data-test": "require-mfa" });
  require.addEventListener("change", () => guard(require, async () => {
    await api("PATCH", "/platform/settings", { require_mfa_for_platform_admins: require.checked });
    toast(t("saved"));
  }));

  shown.setAttribute("data-test", "invite-shown");
  mount(root,
    h("h1", {}, t("consoleAdmins")),
    shown,
    h("section", { class: "card" },
      rows.length ? h("ul", { class: "admin-list", "data-test": "admins-list" }, rows) : h("p", { class: "empty" }, t("noConsoleAdmins"))),
    inviteForm,
    h("section", { class: "card" }, h("h2", {}, t("platformSettings")),
      h("label", { class: "check" }, require, t("requireMFA")), h("p", { class: "hint" }, t("requireMFAHint"))));
}

// inviteCard shows an invite link this once.
function inviteCard(r) {
  const link = h("input", { readonly: true, value: r.invite.url, class: "invite-link", "data-test": "invite-link" });
  return h("section", { class: "card" },
    h("h2", {}, t("inviteFor", { email: r.admin.email })),
    h("p", { class: "banner warn" }, t("inviteOnce", { when: fmtTime(r.invite.expires_at, lang()) })),
    h("div", { class: "row" }, link,
      h("button", { class: "small", "data-test": "invite-copy", onclick: () => { link.select(); navigator.clipboard?.writeText(link.value).then(() => toast(t("copied")), () => {}); } }, t("copy"))));
}
