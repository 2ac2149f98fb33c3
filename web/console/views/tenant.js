import { api, ApiError } from "../api.js";
import { h, mount } from "../dom.js";
import { t } from "../i18n.js";
import { crumbs, showError, state } from "../app.js";
import { overviewView } from "./overview.js";
import { appsView } from "./apps.js";
import { usersView, userView } from "./users.js";
import { sessionsView } from "./sessions.js";
import { settingsView } from "./settings.js";
import { auditView } from "./audit.js";
import { backendsView } from "./backends.js";
import { smsView } from "./sms.js";

const tabs = ["overview", "apps", "users", "sessions", "backends", "sms", "audit", "settings"];

// tenantView: one tenant with a tab bar; each tab is its own view.
export async function tenantView(root, slug, tab, id) {
  let tenant;
  try {
    tenant = (await api("GET", "/tenants/" + encodeURIComponent(slug))).tenant;
  } catch (e) {
    if (e instanceof ApiError && e.status === 404) {
      crumbs();
      const back = state.admin.role === "platform" ? "#/tenants" : "#/";
      mount(root, h("p", { class: "empty", "data-test": "tenant-not-found" }, t("tenantNotFound")),
        h("p", {}, h("a", { href: back, "data-test": "back-tenants" }, "← " + t("backToTenants"))));
      return;
    }
    return showError(e);
  }
  const base = "#/t/" + encodeURIComponent(slug);
  crumbs(h("a", { href: base, "data-test": "crumb-tenant" }, tenant.name));
  const bar = h("nav", { class: "tabs", "data-test": "tabs" }, tabs.map((x) =>
    h("a", { href: base + "/" + x, class: x === tab ? "active" : "", "data-test": "tab-" + x }, t("tab_" + x))));
  const body = h("div", { class: "tab-body" });
  const head = h("div", { class: "tenant-head" },
    h("h1", {}, tenant.name, " ", h("small", {}, tenant.slug)),
    h("span", { class: "badge " + tenant.status, "data-test": "tenant-status" }, t("status_" + tenant.status)));
  mount(root, head, bar, body);
  const ctx = { tenant, base, path: "/tenants/" + encodeURIComponent(slug), platform: state.admin.role === "platform" };
  switch (tab) {
    case "apps": return appsView(body, ctx);
    case "users": return id ? userView(body, ctx, id) : usersView(body, ctx);
    case "sessions": return sessionsView(body, ctx);
    case "backends": return backendsView(body, ctx).catch(showError);
    case "sms": return smsView(body, ctx);
    case "audit": return auditView(body, ctx);
    case "settings": return settingsView(body, ctx);
    default: return overviewView(body, ctx);
  }
}
