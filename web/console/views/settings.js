import { api } from "../api.js";
import { h, mount, field, table, fmtTime } from "../dom.js";
import { t, lang } from "../i18n.js";
import { guard, toast, confirmAction, showError } from "../app.js";

const refresh = () => window.dispatchEvent(new HashChangeEvent("hashchange"));

// settingsView: name, session lifetimes, registration policy and the
// nickname content check; for
// platform admins also the tenant's status, its admins, and deletion.
export async function settingsView(root, ctx) {
  const s = ctx.tenant.settings;
  const name = h("input", { value: ctx.tenant.name, required: true, "data-test": "set-name" });
  const idle = h("input", { type: "number", min: 60, value: s.session_idle_seconds, "data-test": "set-idle" });
  const abs = h("input", { type: "number", min: 60, value: s.session_absolute_seconds, "data-test": "set-absolute" });
  const reg = h("select", { "data-test": "set-registration" }, ["auto", "signup", "existing_only"].map((p) =>
    h("option", { value: p, selected: p === s.registration }, t("reg_" + p))));
  const check = h("input", { type: "checkbox", checked: s.nickname_check, "data-test": "set-nickname-check" });
  const failOpen = h("input", { type: "checkbox", checked: s.nickname_check_fail_open, "data-test": "set-nickname-fail-open" });
  const save = h("button", { type: "submit", class: "primary", "data-test": "set-save" }, t("save"));
  const form = h("form", { class: "card" }, h("h2", {}, t("tab_settings")),
    h("div", { class: "grid" }, field(t("name"), name), field(t("idleSeconds"), idle), field(t("absoluteSeconds"), abs), field(t("registration"), reg),
      h("label", { class: "check" }, check, " ", t("nicknameCheck")), h("label", { class: "check" }, failOpen, " ", t("nicknameCheckFailOpen"))),
    h("p", { class: "hint" }, t("nicknameCheckHint")),
    save);
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    guard(save, async () => {
      await api("PATCH", ctx.path, { name: name.value, settings: {
        session_idle_seconds: Number(idle.value), session_absolute_seconds: Number(abs.value), registration: reg.value,
        nickname_check: check.checked, nickname_check_fail_open: failOpen.checked } });
      toast(t("saved"));
      refresh();
    });
  });

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
    return h("tr", {}, h("td", {}, a.email), h("td", {}, fmtTime(a.created_at, lang())), h("td", {}, rm));
  });
  const adminsCard = h("section", { class: "card" }, h("h2", {}, t("tenantAdmins")),
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
    adminsCard.append(f);
  }

  const parts = [form, adminsCard];
  if (ctx.platform) {
    const disabled = ctx.tenant.status === "disabled";
    const toggle = h("button", { class: disabled ? "" : "danger", "data-test": disabled ? "tenant-enable" : "tenant-disable" },
      disabled ? t("enableTenant") : t("disableTenant"));
    toggle.addEventListener("click", async () => {
      if (!disabled && !(await confirmAction(t("confirmDisable", { tenant: ctx.tenant.slug }), t("disableTenant")))) return;
      guard(toggle, async () => { await api("POST", ctx.path + (disabled ? "/enable" : "/disable")); refresh(); });
    });
    const del = h("button", { class: "danger", "data-test": "tenant-delete" }, t("deleteTenant"));
    del.addEventListener("click", async () => {
      if (!(await confirmAction(t("confirmDeleteTenant", { tenant: ctx.tenant.slug }), t("deleteTenant")))) return;
      guard(del, async () => { await api("DELETE", ctx.path); toast(t("tenantDeleted")); location.hash = "#/tenants"; });
    });
    parts.push(h("section", { class: "card danger-zone" }, h("h2", {}, t("dangerZone")),
      h("p", {}, t("disableHint")), h("div", { class: "row" }, toggle, del)));
  }
  mount(root, parts);
}
