// miniauth admin console: a hash-routed single page over the admin API.
import { api, setCSRF, ApiError } from "./api.js";
import { h, mount } from "./dom.js";
import { t, lang, setLang, onLangChange } from "./i18n.js";
import { signInView } from "./views/signin.js";
import { tenantsView } from "./views/tenants.js";
import { tenantView } from "./views/tenant.js";
import { auditView } from "./views/audit.js";
import { platformUsageView } from "./views/usage.js";

export const state = { admin: null };

const app = document.getElementById("app");

// Routes: #/signin, #/tenants, #/audit, #/usage, #/t/<slug>[/<tab>[/<id>]].
// Every call renders into a fresh container: when calls overlap (a click
// while the previous screen still loads), the last one wins and the older
// ones finish into a detached element.
async function route() {
  const view = h("div", { class: "view" });
  mount(app, view);
  const parts = location.hash.replace(/^#\/?/, "").split("/").filter(Boolean).map(decodeURIComponent);
  if (!state.admin) {
    try {
      const s = await api("GET", "/session");
      signedIn(s);
    } catch (e) {
      if (!(e instanceof ApiError) || e.status !== 401) return showError(e);
      return signInView(view, signedIn);
    }
  }
  const a = state.admin;
  if (parts[0] === "t" && parts[1]) return tenantView(view, parts[1], parts[2] || "overview", parts[3]);
  if (parts[0] === "audit" && a.role === "platform") return auditView(view, null);
  if (parts[0] === "usage" && a.role === "platform") return platformUsageView(view);
  if (a.role === "tenant") {
    location.replace("#/t/" + encodeURIComponent(a.tenant));
    return;
  }
  return tenantsView(view);
}

function signedIn(s) {
  state.admin = s.admin;
  setCSRF(s.csrf_token);
  header();
}

export function signedOut() {
  state.admin = null;
  setCSRF("");
  header();
  location.hash = "#/";
  route();
}

function header() {
  const a = state.admin;
  document.getElementById("who").textContent = a ? a.email : "";
  const out = document.getElementById("signout");
  out.hidden = !a;
  out.textContent = t("signOut");
  crumbs();
}

// crumbs shows where we are: tenants list › tenant.
export function crumbs(...items) {
  const nav = document.getElementById("crumbs");
  const list = [];
  if (state.admin && state.admin.role === "platform") {
    list.push(h("a", { href: "#/tenants", "data-test": "nav-tenants" }, t("tenants")));
    list.push(h("a", { href: "#/audit", "data-test": "nav-audit" }, t("platformAudit")));
  }
  mount(nav, list, items);
}

export function showError(e) {
  toast(errorText(e), true);
}

export function errorText(e) {
  if (e instanceof ApiError) {
    if (e.status === 0) return t("networkError");
    return e.message + (e.code ? " (" + e.code + ")" : "");
  }
  return t("unexpected");
}

let toastTimer;
export function toast(msg, bad = false) {
  const el = document.getElementById("toast");
  el.textContent = msg;
  el.className = "toast" + (bad ? " bad" : "");
  el.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { el.hidden = true; }, 5000);
}

// confirmAction asks before something destructive; resolves true on OK.
export function confirmAction(text, okLabel) {
  const dlg = document.getElementById("confirm");
  document.getElementById("confirm-text").textContent = text;
  document.getElementById("confirm-ok").textContent = okLabel || t("confirm");
  document.getElementById("confirm-cancel").textContent = t("cancel");
  return new Promise((resolve) => {
    dlg.addEventListener("close", () => resolve(dlg.returnValue === "ok"), { once: true });
    dlg.returnValue = "";
    dlg.showModal();
  });
}

// guard runs an API call for a button: disables it meanwhile, shows errors.
export async function guard(button, fn) {
  if (button) button.disabled = true;
  try {
    return await fn();
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) return signedOut();
    showError(e);
  } finally {
    if (button) button.disabled = false;
  }
}

document.getElementById("signout").addEventListener("click", async () => {
  try {
    await api("DELETE", "/session");
  } catch {
    // signed out anyway
  }
  signedOut();
});

const langSel = document.getElementById("lang");
langSel.value = lang();
langSel.addEventListener("change", () => setLang(langSel.value));
onLangChange(() => {
  langSel.value = lang();
  header();
  route();
});

window.addEventListener("hashchange", route);
document.documentElement.lang = lang();
header();
route();
