import { api } from "../api.js";
import { h, mount, field } from "../dom.js";
import { t } from "../i18n.js";
import { guard, toast, confirmAction, showError } from "../app.js";

const refresh = () => window.dispatchEvent(new HashChangeEvent("hashchange"));

const limitKeys = ["phone_per_minute", "phone_per_hour", "phone_per_day", "address_per_hour", "address_per_day", "tenant_per_day"];

// smsView: the tenant's SMS provider for one-time codes (docs/sms.md). The
// secret is write-only: the form never shows it, and an empty field keeps
// the stored one.
export async function smsView(root, ctx) {
  const base = ctx.path + "/sms";
  let s;
  try {
    s = await api("GET", base);
  } catch (e) {
    return showError(e);
  }
  const input = (name, value, attrs = {}) => h("input", { name, value: value ?? "", "data-test": "sms-" + name, ...attrs });
  const provider = h("select", { name: "provider", "data-test": "sms-provider" },
    ["tencent", "aliyun"].map((p) => h("option", { value: p, selected: s.provider === p }, t("smsProvider_" + p))));
  const keyID = input("access_key_id", s.access_key_id, { required: true, autocomplete: "off" });
  const secret = input("secret", "", { type: "password", autocomplete: "new-password",
    placeholder: s.secret_set ? t("smsSecretKept") : "" });
  const sdkApp = input("sdk_app_id", s.sdk_app_id, { inputmode: "numeric" });
  const sign = input("sign_name", s.sign_name, { required: true });
  const template = input("template_id", s.template_id, { required: true });
  const prefixes = input("allowed_prefixes", (s.allowed_prefixes || ["+86"]).join(", "));
  const limits = Object.fromEntries(limitKeys.map((k) => [k, input(k, (s.limits || {})[k] || "",
    { type: "number", min: 0, placeholder: String(s.defaults[k]) })]));
  const tencentOnly = h("div", { class: "field-group" }, field(t("smsSdkAppID"), sdkApp));
  const showTencent = () => { tencentOnly.hidden = provider.value !== "tencent"; };
  provider.addEventListener("change", showTencent);
  showTencent();

  const save = h("button", { type: "submit", "data-test": "sms-save" }, t("save"));
  const form = h("form", { class: "grid", "data-test": "sms-form" },
    field(t("smsProvider"), provider), field(t("smsAccessKeyID"), keyID), field(t("smsSecret"), secret), tencentOnly,
    field(t("smsSignName"), sign), field(t("smsTemplateID"), template), field(t("smsPrefixes"), prefixes),
    h("h3", {}, t("smsLimits")), h("p", { class: "hint" }, t("smsLimitsHint")),
    ...limitKeys.map((k) => field(t("smsLimit_" + k), limits[k])),
    h("div", { class: "field end" }, save));
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    const body = {
      provider: provider.value, access_key_id: keyID.value.trim(), sign_name: sign.value.trim(),
      template_id: template.value.trim(),
      allowed_prefixes: prefixes.value.split(",").map((x) => x.trim()).filter(Boolean),
      limits: Object.fromEntries(limitKeys.map((k) => [k, Number(limits[k].value) || 0])),
    };
    if (provider.value === "tencent" && sdkApp.value.trim()) body.sdk_app_id = sdkApp.value.trim();
    if (secret.value) body.secret = secret.value;
    guard(save, async () => { await api("PUT", base, body); toast(t("saved")); refresh(); });
  });

  const phone = h("input", { name: "phone", placeholder: "+8613800138000", required: true, "data-test": "sms-test-phone" });
  const send = h("button", { type: "submit", "data-test": "sms-test-send" }, t("smsSendTest"));
  const testForm = h("form", { class: "grid" }, field(t("smsTestPhone"), phone), h("div", { class: "field end" }, send));
  testForm.addEventListener("submit", (ev) => {
    ev.preventDefault();
    guard(send, async () => { await api("POST", base + "/test", { phone: phone.value.trim() }); toast(t("smsTestSent")); });
  });

  const remove = h("button", { class: "danger", "data-test": "sms-remove" }, t("remove"));
  remove.addEventListener("click", async () => {
    if (!(await confirmAction(t("smsConfirmRemove"), t("remove")))) return;
    guard(remove, async () => { await api("DELETE", base); refresh(); });
  });

  mount(root,
    s.daily_cap_reached ? h("p", { class: "banner warn", role: "alert", "data-test": "sms-cap-reached" }, t("smsCapReached")) : null,
    h("section", { class: "card" }, h("h2", {}, t("smsTitle")), h("p", { class: "hint" }, t("smsHint")),
      s.configured ? h("p", { "data-test": "sms-sent-today" }, t("smsSentToday", { n: s.sent_today })) : h("p", { class: "empty" }, t("smsNotConfigured")),
      form),
    s.configured ? h("section", { class: "card" }, h("h2", {}, t("smsTest")), h("p", { class: "hint" }, t("smsTestHint")), testForm) : null,
    s.configured ? h("section", { class: "card" }, remove) : null);
}

// smsCapWarning is the overview's warning when the tenant's daily SMS cap
// refused a send today; null otherwise (or when SMS is not set up).
export async function smsCapWarning(ctx) {
  try {
    const s = await api("GET", ctx.path + "/sms");
    if (!s.daily_cap_reached) return null;
    return h("p", { class: "banner warn", role: "alert", "data-test": "sms-cap-reached" },
      h("a", { href: ctx.base + "/sms" }, t("smsCapReached")));
  } catch {
    return null; // the overview stands without it
  }
}
