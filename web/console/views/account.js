// account: what every admin does to its own account: its password, and
// TOTP MFA (set up, new recovery codes, turn off).
import { api } from "../api.js";
import { h, mount, field } from "../dom.js";
import { t } from "../i18n.js";
import { crumbs, toast } from "../app.js";
import { errText, codeInput } from "./adminerr.js";
import { mfaSetupView, recoveryCodesCard } from "./mfa.js";

export async function accountView(root, onEnrolled) {
  crumbs();
  let a;
  try {
    a = await api("GET", "/account");
  } catch (e) {
    mount(root, h("p", { class: "error", role: "alert" }, errText(e)));
    return;
  }
  const box = h("div", {});
  if (a.mfa_enrolment_required) {
    mount(root, box);
    return mfaSetupView(box, onEnrolled, true);
  }
  mount(root, h("h1", {}, t("myAccount"), " ", h("small", {}, a.admin.email)), passwordCard(), mfaCard(a, box), box);
}

function form(title, test, fields, label, submitFn, danger = false) {
  const err = h("p", { class: "error", role: "alert", "data-test": test + "-error" });
  const submit = h("button", { type: "submit", class: danger ? "danger" : "primary", "data-test": test + "-submit" }, label);
  const f = h("form", { class: "card", novalidate: true, "data-test": test }, title ? h("h2", {}, title) : null, fields, err, submit);
  f.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    err.textContent = "";
    submit.disabled = true;
    try {
      await submitFn();
    } catch (e) {
      err.textContent = errText(e);
    } finally {
      submit.disabled = false;
    }
  });
  return f;
}

function passwordCard() {
  const cur = h("input", { type: "password", autocomplete: "current-password", "data-test": "pw-current" });
  const next = h("input", { type: "password", autocomplete: "new-password", minlength: 12, "data-test": "pw-new" });
  return form(t("changePassword"), "pw", [field(t("currentPassword"), cur), field(t("newPassword"), next),
    h("p", { class: "hint" }, t("passwordPolicy"))], t("changePassword"), async () => {
    await api("POST", "/account/password", { current_password: cur.value, new_password: next.value });
    cur.value = next.value = "";
    toast(t("passwordChanged"));
  });
}

function mfaCard(a, box) {
  const status = h("p", { "data-test": "mfa-status" },
    h("span", { class: "badge " + (a.mfa.enabled ? "active" : "disabled") }, a.mfa.enabled ? t("mfaOn") : t("mfaOff")),
    a.mfa.enabled ? " " + t("codesLeft", { n: a.mfa.recovery_codes_left }) : "");
  if (!a.mfa.enabled) {
    return h("section", { class: "card" }, h("h2", {}, t("mfa")), status, h("p", { class: "hint" }, t("mfaHint")),
      h("button", { class: "primary", "data-test": "mfa-begin", onclick: () => mfaSetupView(box, () => location.reload()) }, t("setUpMFA")));
  }
  const regenCode = h("input", codeInput("regen-code"));
  const offCode = h("input", { ...codeInput("off-code"), required: false });
  const offPassword = h("input", { type: "password", autocomplete: "current-password", "data-test": "off-password" });
  return h("section", {}, h("div", { class: "card" }, h("h2", {}, t("mfa")), status),
    form(t("newRecoveryCodes"), "regen", [field(t("mfaCode"), regenCode), h("p", { class: "hint" }, t("newRecoveryCodesHint"))],
      t("newRecoveryCodes"), async () => {
        const r = await api("POST", "/account/mfa/recovery-codes", { code: regenCode.value });
        regenCode.value = "";
        mount(box, recoveryCodesCard(r.recovery_codes, () => mount(box)));
      }),
    form(t("turnOffMFA"), "off", [field(t("mfaCodeOrRecovery"), offCode), field(t("orPassword"), offPassword)],
      t("turnOffMFA"), async () => {
        const body = offPassword.value ? { password: offPassword.value } : { code: offCode.value };
        await api("POST", "/account/mfa/disable", body);
        toast(t("mfaTurnedOff"));
        location.reload();
      }, true));
}
