import { api, ApiError } from "../api.js";
import { h, mount, field } from "../dom.js";
import { t } from "../i18n.js";
import { errorText, throttled } from "../app.js";
import { mfaStepView } from "./mfa.js";

export function signInView(root, done) {
  const email = h("input", { type: "email", name: "email", autocomplete: "username", required: true, "data-test": "signin-email" });
  const password = h("input", { type: "password", name: "password", autocomplete: "current-password", required: true, "data-test": "signin-password" });
  const err = h("p", { class: "error", role: "alert", "data-test": "signin-error" });
  const submit = h("button", { type: "submit", class: "primary", "data-test": "signin-submit" }, t("signIn"));
  const form = h("form", { class: "card narrow", novalidate: true },
    h("h1", {}, t("signInTitle")),
    field(t("email"), email),
    field(t("password"), password),
    err, submit);
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    err.textContent = "";
    submit.disabled = true;
    try {
      const s = await api("POST", "/session", { email: email.value, password: password.value });
      password.value = "";
      const finish = (s) => {
        location.hash = done(s) || "#/"; // back where the session expired, if it did
        window.dispatchEvent(new HashChangeEvent("hashchange"));
      };
      if (s.mfa_required) return mfaStepView(root, s.mfa_token, finish, () => signInView(root, done)); // views/mfa.js
      finish(s);
    } catch (e) {
      err.textContent = e instanceof ApiError && e.status === 429 ? throttled(e) : errorText(e);
    } finally {
      submit.disabled = false;
    }
  });
  mount(root, form);
  email.focus();
}
