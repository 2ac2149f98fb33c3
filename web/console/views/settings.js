import { api } from "../api.js";
import { h, mount, field, table, fmtTime } from "../dom.js";
import { t, lang } from "../i18n.js";
import { guard, toast, confirmAction, confirmTyped, showError } from "../app.js";

const refresh = () => window.dispatchEvent(new HashChangeEvent("hashchange"));

const HOUR = 3600;
const DAY = 86400;

// lifetime is a session lifetime entered in hours or days; seconds() is
// what the API takes.
function lifetime(name, seconds) {
  const days = seconds % DAY === 0;
  const num = h("input", { type: "number", min: 0, step: "any", required: true, value: days ? seconds / DAY : +(seconds / HOUR).toFixed(3),
    "aria-label": t(name), "data-test": "set-" + name });
  const unit = h("select", { "aria-label": t("unit"), "data-test": "set-" + name + "-unit" },
    h("option", { value: HOUR, selected: !days }, t("hours")), h("option", { value: DAY, selected: days }, t("days")));
  return { el: h("label", { class: "field" }, h("span", {}, t(name)), h("span", { class: "with-unit" }, num, unit)),
    seconds: () => Math.round(Number(num.value) * Number(unit.value)), input: num };
}

// problem is what is wrong with the settings before they go to the API,
// in the admin's language, or "".
function problem(name, idle, abs) {
  if (!name.trim()) return t("nameRequired");
  for (const s of [idle, abs]) if (!Number.isFinite(s) || s < 60 || s > 400 * DAY) return t("lifetimeBounds");
  if (abs < idle) return t("absoluteShorter");
  if (abs > 365 * DAY) return t("absoluteYear");
  return "";
}

// settingsView: the tenant's settings, each on its own card: name and
// sessions, registration, the nickname check, web origins and redirect
// URIs, rate limits; for platform admins also its admins, its status and
// its deletion. SMS settings are views/sms.js's own card (added beside
// these by the SMS work).
export async function settingsView(root, ctx) {
  const s = ctx.tenant.settings;
  const parts = [generalCard(ctx, s), webCard(ctx), rateLimitsCard(ctx, s)];
  parts.push(await adminsCard(ctx));
  if (ctx.platform) parts.push(dangerCard(ctx));
  mount(root, parts);
}

function generalCard(ctx, s) {
  const name = h("input", { value: ctx.tenant.name, required: true, "data-test": "set-name" });
  const idle = lifetime("idleLifetime", s.session_idle_seconds);
  const abs = lifetime("absoluteLifetime", s.session_absolute_seconds);
  const regs = ["auto", "signup", "existing_only"].map((p) => ({ p,
    input: h("input", { type: "radio", name: "registration", value: p, checked: p === s.registration, "data-test": "set-reg-" + p }) }));
  const check = h("input", { type: "checkbox", checked: s.nickname_check, "data-test": "set-nickname-check" });
  const failOpen = h("input", { type: "checkbox", checked: s.nickname_check_fail_open, "data-test": "set-nickname-fail-open" });
  const accessToken = h("input", { type: "checkbox", checked: s.access_token_on_login !== false, "data-test": "set-access-token-on-login" });
  const err = h("p", { class: "error", role: "alert", "data-test": "set-error" });
  const save = h("button", { type: "submit", class: "primary", "data-test": "set-save" }, t("save"));
  const form = h("form", { class: "card", novalidate: true, "data-test": "settings-general" }, h("h2", {}, t("tab_settings")),
    h("div", { class: "grid" }, field(t("name"), name), idle.el, abs.el),
    h("p", { class: "hint" }, t("lifetimeHint")),
    h("fieldset", { class: "options" }, h("legend", {}, t("registration")),
      regs.map(({ p, input }) => h("label", { class: "option" }, input,
        h("span", {}, h("strong", {}, t("reg_" + p)), h("small", {}, t("reg_" + p + "_hint")))))),
    h("fieldset", { class: "options" }, h("legend", {}, t("nicknameCheckTitle")),
      h("label", { class: "check" }, check, " ", t("nicknameCheck")), h("label", { class: "check" }, failOpen, " ", t("nicknameCheckFailOpen")),
      h("p", { class: "hint" }, t("nicknameCheckHint"))),
    h("fieldset", { class: "options" }, h("legend", {}, t("accessTokenTitle")),
      h("label", { class: "check" }, accessToken, " ", t("accessTokenOnLogin")),
      h("p", { class: "hint" }, t("accessTokenOnLoginHint"))),
    err, save);
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    const why = problem(name.value, idle.seconds(), abs.seconds());
    err.textContent = why;
    if (why) return;
    guard(save, async () => {
      await api("PATCH", ctx.path, { name: name.value.trim(), settings: {
        session_idle_seconds: idle.seconds(), session_absolute_seconds: abs.seconds(),
        registration: (regs.find((r) => r.input.checked) || regs[0]).p,
        nickname_check: check.checked, nickname_check_fail_open: failOpen.checked,
        access_token_on_login: accessToken.checked } });
      toast(t("saved"));
      refresh();
    });
  });
  return form;
}

// lines is a textarea's non-empty lines.
const lines = (el) => el.value.split("\n").map((x) => x.trim()).filter(Boolean);

function webCard(ctx) {
  const origins = h("textarea", { rows: 3, placeholder: "https://h5.example.com", "data-test": "web-origins" });
  const redirects = h("textarea", { rows: 3, placeholder: "https://h5.example.com/login/done", "data-test": "web-redirects" });
  const save = h("button", { type: "submit", "data-test": "web-save" }, t("save"));
  const form = h("form", { class: "card", "data-test": "settings-web" }, h("h2", {}, t("webTitle")),
    h("p", { class: "hint" }, t("webHint"), " ", h("a", { href: ctx.base + "/apps", "data-test": "verify-link" }, t("verifyWhere"))),
    h("div", { class: "grid" }, field(t("allowedOrigins"), origins), field(t("redirectURIs"), redirects)), save);
  api("GET", ctx.path + "/web").then((w) => {
    // Only if nothing was typed meanwhile (or restored after an expired session).
    if (!origins.value) origins.value = w.allowed_origins.join("\n");
    if (!redirects.value) redirects.value = w.redirect_uris.join("\n");
  }, showError);
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    guard(save, async () => {
      const w = await api("PUT", ctx.path + "/web", { allowed_origins: lines(origins), redirect_uris: lines(redirects) });
      origins.value = w.allowed_origins.join("\n");
      redirects.value = w.redirect_uris.join("\n");
      toast(t("saved"));
    });
  });
  return form;
}

const limitNames = ["login_per_tenant_per_second", "login_per_ip_per_minute", "login_per_identity_per_minute",
  "session_per_token_per_minute", "api_key_per_second"];

function rateLimitsCard(ctx, s) {
  const set = s.rate_limits || {};
  const defs = s.rate_limit_defaults || {};
  const inputs = limitNames.map((n) => h("input", { type: "number", min: 0, max: 1000000, step: 1, value: set[n] || "",
    placeholder: String(defs[n] ?? ""), "data-test": "limit-" + n }));
  const err = h("p", { class: "error", role: "alert", "data-test": "limits-error" });
  const save = h("button", { type: "submit", "data-test": "limits-save" }, t("save"));
  const form = h("form", { class: "card", novalidate: true, "data-test": "settings-limits" }, h("h2", {}, t("rateLimits")),
    h("p", { class: "hint" }, t("rateLimitsHint")),
    h("div", { class: "grid" }, limitNames.map((n, i) => field(t("limit_" + n), inputs[i]))), err, save);
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    const values = inputs.map((x) => (x.value.trim() === "" ? 0 : Number(x.value)));
    const bad = values.some((v) => !Number.isInteger(v) || v < 0 || v > 1000000);
    err.textContent = bad ? t("limitBounds") : "";
    if (bad) return;
    guard(save, async () => {
      await api("PATCH", ctx.path, { settings: { rate_limits: Object.fromEntries(limitNames.map((n, i) => [n, values[i]])) } });
      toast(t("saved"));
      refresh();
    });
  });
  return form;
}

async function adminsCard(ctx) {
  let admins = [];
  try {
    admins = (await api("GET", ctx.path + "/admins")).admins;
  } catch (e) {
    showError(e);
  }
  const adminRows = admins.map((a) => {
    const rm = ctx.platform ? h("button", { class: "small danger" }, t("remove")) : "";
    if (rm) rm.addEventListener("click", async () => {
      if (!(await confirmAction(t("confirmRemoveAdmin", { email: a.email }), t("remove")))) return;
      guard(rm, async () => { await api("DELETE", ctx.path + "/admins/" + encodeURIComponent(a.email)); refresh(); });
    });
    return h("tr", {}, h("td", {}, a.email), h("td", {}, fmtTime(a.created_at, lang())), h("td", { class: "actions" }, rm));
  });
  const card = h("section", { class: "card" }, h("h2", {}, t("tenantAdmins")),
    adminRows.length ? table([t("email"), t("created"), ""], adminRows) : h("p", { class: "empty" }, t("noAdmins")));
  if (ctx.platform) {
    const email = h("input", { type: "email", required: true, autocomplete: "off", "data-test": "admin-email" });
    const pw = h("input", { type: "password", required: true, autocomplete: "new-password", minlength: 12, "data-test": "admin-password" });
    const add = h("button", { type: "submit", "data-test": "admin-add" }, t("addAdmin"));
    const f = h("form", { class: "grid" }, field(t("email"), email), field(t("password"), pw), h("div", { class: "field end" }, add));
    f.addEventListener("submit", (ev) => {
      ev.preventDefault();
      guard(add, async () => { await api("POST", ctx.path + "/admins", { email: email.value, password: pw.value }); refresh(); });
    });
    card.append(f);
  }
  return card;
}

function dangerCard(ctx) {
  const slug = ctx.tenant.slug;
  const disabled = ctx.tenant.status === "disabled";
  const toggle = h("button", { class: disabled ? "" : "danger", "data-test": disabled ? "tenant-enable" : "tenant-disable" },
    disabled ? t("enableTenant") : t("disableTenant"));
  toggle.addEventListener("click", async () => {
    if (!disabled && !(await confirmAction(t("confirmDisable", { tenant: slug }), t("disableTenant")))) return;
    guard(toggle, async () => { await api("POST", ctx.path + (disabled ? "/enable" : "/disable")); refresh(); });
  });
  const del = h("button", { class: "danger", "data-test": "tenant-delete" }, t("deleteTenant"));
  del.addEventListener("click", async () => {
    // Nothing brings a tenant back: its slug must be typed.
    if (!(await confirmTyped(t("confirmDeleteTenant", { tenant: slug }), slug, t("deleteTenant")))) return;
    guard(del, async () => { await api("DELETE", ctx.path); toast(t("tenantDeleted")); location.hash = "#/tenants"; });
  });
  return h("section", { class: "card danger-zone" }, h("h2", {}, t("dangerZone")),
    h("p", {}, t("disableHint")), h("div", { class: "row" }, toggle, del));
}
