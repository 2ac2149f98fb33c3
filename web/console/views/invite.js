// invite: /console/#/invite/<token>, where an invited admin chooses its
// password. The token stays in the fragment; it is posted in a body only.
import { api } from "../api.js";
import { h, mount, field, fmtTime } from "../dom.js";
import { t, lang } from "../i18n.js";
import { errText } from "./adminerr.js";

export async function inviteView(root, token) {
  let inv;
  try {
    inv = await api("POST", "/invites/lookup", { token });
  } catch (e) {
    mount(root, h("div", { class: "card narrow" }, h("h1", {}, t("inviteTitle")),
      h("p", { class: "error", role: "alert", "data-test": "invite-accept-error" }, errText(e)),
      h("a", { href: "#/" }, t("toSignIn"))));
    return;
  }
  const pw = h("input", { type: "password", autocomplete: "new-password", minlength: 12, required: true, "data-test": "invite-password" });
  const pw2 = h("input", { type: "password", autocomplete: "new-password", required: true, "data-test": "invite-password2" });
  const err = h("p", { class: "error", role: "alert", "data-test": "invite-accept-error" });
  const submit = h("button", { type: "submit", class: "primary", "data-test": "invite-accept" }, t("setPassword"));
  const form = h("form", { class: "card narrow", novalidate: true },
    h("h1", {}, t("inviteTitle")),
    h("p", { "data-test": "invite-who" }, t("inviteWho", { email: inv.email,
      role: inv.role === "platform" ? t("role_platform") : t("role_tenant") + " · " + (inv.tenant || "") })),
    h("p", { class: "hint" }, t("inviteUntil", { when: fmtTime(inv.expires_at, lang()) })),
    field(t("newPassword"), pw), field(t("repeatPassword"), pw2), h("p", { class: "hint" }, t("passwordPolicy")), err, submit);
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    err.textContent = "";
    if (pw.value !== pw2.value) {
      err.textContent = t("passwordsDiffer");
      return;
    }
    submit.disabled = true;
    try {
      await api("POST", "/invites/accept", { token, password: pw.value });
      pw.value = pw2.value = "";
      mount(root, h("div", { class: "card narrow", "data-test": "invite-accepted" }, h("h1", {}, t("inviteTitle")),
        h("p", {}, t("inviteAccepted")), h("a", { href: "#/", "data-test": "invite-signin" }, t("toSignIn"))));
    } catch (e) {
      err.textContent = errText(e);
    } finally {
      submit.disabled = false;
    }
  });
  mount(root, form);
  pw.focus();
}
