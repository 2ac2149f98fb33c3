import { api } from "../api.js";
import { h, mount, field, table } from "../dom.js";
import { t } from "../i18n.js";
import { guard, toast, confirmAction } from "../app.js";
import { verifyFilesCard } from "./mpverify.js";

// appsView: the tenant's mini-programs. AppSecrets are write-only: they can
// be set and rotated here, never read back.
export function appsView(root, ctx) {
  const result = h("p", { class: "result", role: "status", "data-test": "app-result" });
  const rows = (ctx.tenant.apps || []).map((a) => {
    const p = ctx.path + "/apps/" + encodeURIComponent(a.appid);
    const testBtn = h("button", { "data-test": "app-test" }, t("testCredentials"));
    testBtn.addEventListener("click", () => guard(testBtn, async () => {
      const r = await api("POST", p + "/test");
      result.className = "result " + (r.ok ? "ok" : "bad");
      result.textContent = a.appid + ": " + (r.ok ? t("credentialsOK") : t("credentialsBad") + (r.errcode ? " (errcode " + r.errcode + ")" : ""));
    }));
    const defBtn = h("button", { disabled: a.is_default, "data-test": "app-default" }, t("makeDefault"));
    defBtn.addEventListener("click", () => guard(defBtn, async () => {
      await api("POST", p + "/default");
      toast(t("saved"));
      window.dispatchEvent(new HashChangeEvent("hashchange"));
    }));
    const secret = h("input", { type: "password", autocomplete: "off", placeholder: t("newSecret"), "aria-label": t("newSecret"), "data-test": "rotate-secret" });
    const rotBtn = h("button", { type: "submit", "data-test": "rotate-submit" }, t("rotateSecret"));
    const rot = h("form", { class: "inline" }, secret, rotBtn);
    rot.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      if (!(await confirmAction(t("confirmRotate", { appid: a.appid }), t("rotateSecret")))) return;
      guard(rotBtn, async () => {
        await api("PUT", p + "/secret", { secret: secret.value });
        secret.value = "";
        toast(t("secretRotated"));
      });
    });
    return h("tr", {},
      h("td", {}, h("code", {}, a.appid)),
      h("td", {}, a.is_default ? h("span", { class: "badge active" }, t("default")) : ""),
      h("td", {}, h("span", { class: "secret" }, "••••••••"), " ", h("small", {}, t("writeOnly"))),
      h("td", { class: "actions" }, testBtn, defBtn, rot));
  });

  const appid = h("input", { required: true, placeholder: "wx…", "data-test": "add-appid" });
  const secret = h("input", { type: "password", autocomplete: "off", required: true, "data-test": "add-secret" });
  const makeDefault = h("input", { type: "checkbox" });
  const submit = h("button", { type: "submit", class: "primary", "data-test": "add-app" }, t("addApp"));
  const form = h("form", { class: "card" }, h("h2", {}, t("addMiniProgram")),
    h("div", { class: "grid" }, field("AppID", appid), field("AppSecret", secret),
      h("label", { class: "check" }, makeDefault, " ", t("makeDefault"))),
    submit);
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    guard(submit, async () => {
      await api("POST", ctx.path + "/apps", { appid: appid.value, secret: secret.value, default: makeDefault.checked });
      secret.value = "";
      toast(t("saved"));
      window.dispatchEvent(new HashChangeEvent("hashchange"));
    });
  });
  mount(root,
    h("section", { class: "card" }, h("h2", {}, t("tab_apps")),
      table(["AppID", "", "AppSecret", ""], rows, { "data-test": "apps-table" }), result,
      h("p", { class: "hint" }, t("secretWriteOnly"))),
    form, verifyFilesCard(ctx));
}
