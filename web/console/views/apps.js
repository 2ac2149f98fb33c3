import { api } from "../api.js";
import { h, mount, field, table } from "../dom.js";
import { t, codeText } from "../i18n.js";
import { guard, toast, confirmAction } from "../app.js";
import { verifyFilesCard } from "./mpverify.js";

const kinds = ["miniprogram", "officialaccount", "mobileapp", "website"];

// Open Platform apps get no client_credential token: WeChat checks their
// AppSecret only at a user's login, so they have no "Test credentials".
const testable = (kind) => kind === "miniprogram" || kind === "officialaccount";

const reload = () => window.dispatchEvent(new HashChangeEvent("hashchange"));

// appsView: the tenant's WeChat apps of every kind (mini-programs, official
// accounts, Open Platform mobile and website applications). AppSecrets are
// write-only: they can be set and rotated here, never read back.
export function appsView(root, ctx) {
  const result = h("p", { class: "result", role: "status", "data-test": "app-result" });
  const say = (ok, text) => {
    result.className = "result " + (ok ? "ok" : "bad");
    result.textContent = text;
  };
  const apps = [...(ctx.tenant.apps || [])].sort((a, b) => kinds.indexOf(a.kind) - kinds.indexOf(b.kind));
  const rows = apps.map((a) => {
    const p = ctx.path + "/apps/" + encodeURIComponent(a.appid);
    const actions = [];
    if (testable(a.kind)) {
      const testBtn = h("button", { "data-test": "app-test" }, t("testCredentials"));
      testBtn.addEventListener("click", () => guard(testBtn, async () => {
        const r = await api("POST", p + "/test");
        say(r.ok, a.appid + ": " + (r.ok ? t("credentialsOK") : t("credentialsBad") + (r.errcode ? " (errcode " + r.errcode + ")" : "")));
      }));
      actions.push(testBtn);
    }
    if (a.kind === "miniprogram") {
      const defBtn = h("button", { disabled: a.is_default, "data-test": "app-default" }, t("makeDefault"));
      defBtn.addEventListener("click", () => guard(defBtn, async () => {
        await api("POST", p + "/default");
        toast(t("saved"));
        reload();
      }));
      actions.push(defBtn);
    }
    const secret = h("input", { type: "password", autocomplete: "off", placeholder: t("newSecret"), "aria-label": t("newSecret"), "data-test": "rotate-secret" });
    const rotBtn = h("button", { type: "submit", "data-test": "rotate-submit" }, t("rotateSecret"));
    const rot = h("form", { class: "inline", novalidate: true }, secret, rotBtn);
    rot.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      // Checked before asking: an empty AppSecret is refused anyway.
      if (!secret.value.trim()) {
        say(false, a.appid + ": " + t("secretRequired"));
        secret.focus();
        return;
      }
      if (!(await confirmAction(t("confirmRotate", { appid: a.appid }), t("rotateSecret")))) return;
      guard(rotBtn, async () => {
        await api("PUT", p + "/secret", { secret: secret.value });
        secret.value = "";
        say(true, a.appid + ": " + t("secretRotated"));
        toast(t("secretRotated"));
      });
    });
    actions.push(rot);
    const rm = h("button", { class: "danger", disabled: a.is_default, title: a.is_default ? t("defaultStays") : null, "data-test": "app-remove" }, t("remove"));
    rm.addEventListener("click", async () => {
      if (!(await confirmAction(t("confirmRemoveApp", { appid: a.appid }), t("remove")))) return;
      guard(rm, async () => {
        await api("DELETE", p);
        toast(t("appRemoved"));
        reload();
      });
    });
    actions.push(rm);
    return h("tr", { "data-appid": a.appid },
      h("td", {}, h("code", {}, a.appid)),
      h("td", {}, codeText("kind", a.kind), a.is_default ? [" ", h("span", { class: "badge active" }, t("default"))] : ""),
      h("td", {}, h("span", { class: "secret" }, "••••••••"), " ", h("small", {}, t("writeOnly"))),
      h("td", { class: "actions" }, actions));
  });

  mount(root,
    h("section", { class: "card" }, h("h2", {}, t("appsTitle")),
      table(["AppID", t("appKind"), "AppSecret", ""], rows, { "data-test": "apps-table" }), result,
      h("p", { class: "hint" }, t("secretWriteOnly"))),
    addAppCard(ctx), verifyFilesCard(ctx));
}

function addAppCard(ctx) {
  const kind = h("select", { "data-test": "add-kind" }, kinds.map((k) => h("option", { value: k }, codeText("kind", k))));
  const appid = h("input", { required: true, placeholder: "wx…", "data-test": "add-appid" });
  const secret = h("input", { type: "password", autocomplete: "off", required: true, "data-test": "add-secret" });
  const makeDefault = h("input", { type: "checkbox", "data-test": "add-default" });
  const defaultBox = h("label", { class: "check" }, makeDefault, " ", t("makeDefault"));
  const hint = h("p", { class: "hint", "data-test": "add-kind-hint" });
  const err = h("p", { class: "error", role: "alert", "data-test": "add-error" });
  const showKind = () => {
    defaultBox.hidden = kind.value !== "miniprogram";
    hint.textContent = t("kindHint_" + kind.value);
  };
  kind.addEventListener("change", showKind);
  showKind();
  const submit = h("button", { type: "submit", class: "primary", "data-test": "add-app" }, t("addApp"));
  const form = h("form", { class: "card", novalidate: true }, h("h2", {}, t("addAnApp")),
    h("div", { class: "grid" }, field(t("appKind"), kind), field("AppID", appid), field("AppSecret", secret), defaultBox),
    hint, err, submit);
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    err.textContent = !/^wx[0-9a-zA-Z]{6,30}$/.test(appid.value.trim()) ? t("appidInvalid") : !secret.value.trim() ? t("secretRequired") : "";
    if (err.textContent) return;
    guard(submit, async () => {
      await api("POST", ctx.path + "/apps", { appid: appid.value.trim(), secret: secret.value, kind: kind.value,
        default: kind.value === "miniprogram" && makeDefault.checked });
      secret.value = "";
      toast(t("saved"));
      reload();
    });
  });
  return form;
}
