import { api } from "../api.js";
import { h, mount, table, fmtTime } from "../dom.js";
import { t, lang } from "../i18n.js";
import { showError } from "../app.js";
import { usageCharts } from "./usage.js";
import { smsCapWarning } from "./sms.js";

export async function overviewView(root, ctx) {
  let o;
  try {
    o = await api("GET", ctx.path + "/overview");
  } catch (e) {
    return showError(e);
  }
  const smsCap = await smsCapWarning(ctx); // the tenant's daily SMS cap reached today (sms.js)
  const stat = (key, value) => h("div", { class: "stat", "data-test": "stat-" + key },
    h("span", { class: "num" }, String(value)), h("span", { class: "label" }, t(key)));
  const errs = o.wechat_errors || [];
  // A spent daily quota stops every login: it must not hide in the list.
  const quota = errs.find((e) => e.errcode === 45009);
  const note = (e) => e.errcode === 40226 ? h("div", { class: "hint" }, t("blockedUser")) : null;
  mount(root, smsCap,
    quota ? h("p", { class: "banner warn", role: "alert", "data-test": "quota-exhausted" },
      t("quotaExhausted") + " (" + (quota.appid || "—") + ", " + fmtTime(quota.at, lang()) + ")") : null,
    h("div", { class: "stats" },
      stat("users", o.users), stat("loginsToday", o.logins_today),
      stat("activeSessions", o.active_sessions), stat("banned", o.banned)),
    h("section", { class: "card" },
      h("h2", {}, t("lastWeChatErrors")),
      errs.length
        ? table([t("time"), "AppID", "API", "errcode", "errmsg"], errs.map((e) =>
          h("tr", {}, h("td", {}, fmtTime(e.at, lang())), h("td", {}, e.appid || "—"), h("td", {}, e.api),
            h("td", {}, String(e.errcode)), h("td", { class: "wrap" }, e.errmsg, note(e)))), { "data-test": "wechat-errors" })
        : h("p", { class: "empty" }, t("noWeChatErrors"))));
  // Charts of use, below the rest (views/usage.js).
  const usage = h("div", { class: "usage-box" });
  root.append(usage);
  await usageCharts(usage, ctx);
}
