// The MFA screens: the second step of a sign-in, and setting up TOTP MFA
// (QR code, secret, first code, recovery codes shown once).
import { api, ApiError } from "../api.js";
import { h, mount, field } from "../dom.js";
import { t } from "../i18n.js";
import { errText, codeInput } from "./adminerr.js";

// mfaStepView asks for a code after the right password; done gets the session.
export function mfaStepView(root, token, done, restart) {
  const code = h("input", codeInput("mfa-code"));
  const err = h("p", { class: "error", role: "alert", "data-test": "mfa-error" });
  const submit = h("button", { type: "submit", class: "primary", "data-test": "mfa-submit" }, t("verify"));
  const back = h("button", { type: "button", class: "link-dark", "data-test": "mfa-restart", onclick: restart }, t("signInAgain"));
  const form = h("form", { class: "card narrow", novalidate: true },
    h("h1", {}, t("mfaTitle")),
    h("p", { class: "hint" }, t("mfaStepHint")),
    field(t("mfaCode"), code), err, h("div", { class: "row" }, submit, back));
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    err.textContent = "";
    submit.disabled = true;
    try {
      const s = await api("POST", "/session/mfa", { mfa_token: token, code: code.value });
      code.value = "";
      done(s);
    } catch (e) {
      err.textContent = errText(e);
      if (e instanceof ApiError && e.code === "invalid_mfa_token") back.focus();
    } finally {
      submit.disabled = false;
    }
  });
  mount(root, form);
  code.focus();
}

// recoveryCodesCard shows recovery codes once.
export function recoveryCodesCard(codes, onDone) {
  return h("section", { class: "card", "data-test": "recovery-codes" },
    h("h2", {}, t("recoveryCodes")),
    h("p", { class: "banner warn" }, t("recoveryCodesOnce")),
    h("ol", { class: "codes" }, codes.map((c) => h("li", {}, h("code", { "data-test": "recovery-code" }, c)))),
    h("button", { class: "primary", "data-test": "recovery-done", onclick: onDone }, t("savedThem")));
}

// mfaSetupView runs the set-up in root; done() after the codes were seen.
export async function mfaSetupView(root, done, required = false) {
  let e;
  try {
    e = await api("POST", "/account/mfa/enrol");
  } catch (x) {
    mount(root, h("p", { class: "error", role: "alert", "data-test": "mfa-setup-error" }, errText(x)));
    return;
  }
  const code = h("input", codeInput("mfa-setup-code"));
  const err = h("p", { class: "error", role: "alert", "data-test": "mfa-setup-error" });
  const submit = h("button", { type: "submit", class: "primary", "data-test": "mfa-setup-submit" }, t("turnOnMFA"));
  const form = h("form", { class: "card", novalidate: true },
    h("h1", {}, t("mfaSetupTitle")),
    required ? h("p", { class: "banner warn", "data-test": "mfa-required" }, t("mfaRequiredBanner")) : null,
    h("ol", { class: "steps" },
      h("li", {}, t("mfaSetupScan")),
      h("li", {}, t("mfaSetupType")),
      h("li", {}, t("mfaSetupCode"))),
    h("div", { class: "mfa-setup" },
      h("img", { src: e.qr_code, alt: t("qrAlt"), width: 200, height: 200, class: "qr", "data-test": "mfa-qr" }),
      h("div", {},
        h("p", { class: "hint" }, t("mfaSecret")),
        h("code", { class: "totp-secret", "data-test": "mfa-secret" }, e.secret.replace(/(.{4})/g, "$1 ").trim()))),
    field(t("mfaCode"), code), err, submit);
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    err.textContent = "";
    submit.disabled = true;
    try {
      const r = await api("POST", "/account/mfa/confirm", { code: code.value });
      mount(root, recoveryCodesCard(r.recovery_codes, done));
    } catch (x) {
      err.textContent = errText(x);
    } finally {
      submit.disabled = false;
    }
  });
  mount(root, form);
  code.focus();
}
