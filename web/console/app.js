// miniauth admin console: a hash-routed single page over the admin API.
import { api, setCSRF, ApiError, onExpired } from "./api.js";
import { h, mount } from "./dom.js";
import { t, has, lang, setLang, onLangChange } from "./i18n.js";
import { expiredNotice, keepDrafts, restoreDrafts, returnTo } from "./session_expiry.js";
import { signInView } from "./views/signin.js";
import { tenantsView } from "./views/tenants.js";
import { tenantView } from "./views/tenant.js";
import { auditView } from "./views/audit.js";
import { platformUsageView } from "./views/usage.js";
import { adminsView } from "./views/admins.js";
import { accountView } from "./views/account.js";
import { inviteView } from "./views/invite.js";

export const state = { admin: null };

const app = document.getElementById("app");

// Routes: #/signin, #/tenants, #/audit, #/usage, #/t/<slug>[/<tab>[/<id>]].
// Every call renders into a fresh container: when calls overlap (a click
// while the previous screen still loads), the last one wins and the older
// ones finish into a detached element.
async function route() {
  endToast();
  const view = h("div", { class: "view" });
  mount(app, view);
  const parts = location.hash.replace(/^#\/?/, "").split("/").filter(Boolean).map(decodeURIComponent);
  if (parts[0] === "invite" && parts[1]) return inviteView(view, parts[1]); // no session needed
  if (!state.admin) {
    try {
      const s = await api("GET", "/session");
      signedIn(s);
    } catch (e) {
      if (!(e instanceof ApiError) || e.status !== 401) return showError(e);
      const notice = expiredNotice();
      if (notice) app.prepend(notice);
      return signInView(view, signedIn);
    }
  }
  await show(view, parts);
  if (view.isConnected) restoreDrafts(view); // only the route that won puts the edits back
}

async function show(view, parts) {
  const a = state.admin;
  if (state.mfaEnrolmentRequired || parts[0] === "account") {
    return accountView(view, () => { state.mfaEnrolmentRequired = false; location.hash = "#/"; route(); });
  }
  if (parts[0] === "admins" && a.role === "platform") return adminsView(view);
  if (parts[0] === "t" && parts[1]) return tenantView(view, parts[1], parts[2] || "overview", parts[3]);
  if (parts[0] === "audit" && a.role === "platform") return auditView(view, null);
  if (parts[0] === "usage" && a.role === "platform") return platformUsageView(view);
  if (a.role === "tenant") {
    location.replace("#/t/" + encodeURIComponent(a.tenant));
    return;
  }
  return tenantsView(view);
}

// signedIn returns the page to go to: the one the admin was on when the
// session expired, if any.
function signedIn(s) {
  state.admin = s.admin;
  state.mfaEnrolmentRequired = !!s.mfa_enrolment_required;
  setCSRF(s.csrf_token);
  header();
  return returnTo();
}

// An expired session: the page and its unsaved edits are kept in
// sessionStorage (session_expiry.js), and the sign-in page says why.
onExpired(() => {
  if (!state.admin) return;
  keepDrafts(app, location.hash);
  state.admin = null;
  setCSRF("");
  header();
  route();
});

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
    list.push(h("a", { href: "#/admins", "data-test": "nav-admins" }, t("consoleAdmins")));
  }
  const account = state.admin && h("a", { href: "#/account", "data-test": "nav-account" }, t("myAccount"));
  mount(nav, list, items, account);
}

export function showError(e) {
  // An expired session is said on the sign-in page instead.
  if (e instanceof ApiError && e.status === 401 && e.code === "unauthenticated") return;
  toast(errorText(e), true);
}

// errorText: in English the server's message (it names the field at
// fault); in Chinese the console's words for the code (i18n.js), with the
// server's message after the generic ones.
export function errorText(e) {
  if (e instanceof ApiError) {
    if (e.status === 0) return t("networkError");
    if (lang() === "en" || !has("err_" + e.code)) return e.message + (e.code ? " (" + e.code + ")" : "");
    const detail = ["invalid_request", "conflict"].includes(e.code) && e.message ? "（" + e.message + "）" : "";
    return t("err_" + e.code) + detail;
  }
  return t("unexpected");
}

// throttled says how long a throttled sign-in must wait (Retry-After).
export function throttled(e) {
  const s = e.retryAfter || 0;
  if (!s) return t("tooManyAttempts");
  const wait = s < 90 ? t("seconds", { n: s }) : t("minutes", { n: Math.ceil(s / 60) });
  return t("tooManyAttemptsWait", { wait });
}

// A toast belongs to the page it was shown for: leaving the page ends it.
// The page is taken once the action that showed it has run, so that
// "Tenant created." goes with the tenant the action opens.
let toastTimer;
let toastPage = null;
export function toast(msg, bad = false) {
  const el = document.getElementById("toast");
  el.textContent = msg;
  el.className = "toast" + (bad ? " bad" : "");
  el.hidden = false;
  toastPage = null;
  queueMicrotask(() => { toastPage = location.hash; });
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { el.hidden = true; }, 5000);
}

function endToast() {
  if (toastPage !== null && toastPage !== location.hash) {
    document.getElementById("toast").hidden = true;
    toastPage = null;
  }
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

// confirmTyped asks before something that cannot be undone: OK stays
// disabled until word (a tenant's slug) is typed. Resolves true on OK.
export function confirmTyped(text, word, okLabel) {
  const dlg = document.getElementById("confirm");
  const input = h("input", { autocomplete: "off", spellcheck: "false", "aria-label": t("typeToConfirm", { word }), "data-test": "confirm-typed" });
  const ok = document.getElementById("confirm-ok");
  const extra = h("label", { class: "field", id: "confirm-extra" }, h("span", {}, t("typeToConfirm", { word })), input);
  document.getElementById("confirm-extra")?.remove();
  document.getElementById("confirm-text").after(extra);
  const done = confirmAction(text, okLabel);
  ok.disabled = true;
  input.addEventListener("input", () => { ok.disabled = input.value.trim() !== word; });
  input.focus();
  return done.then((yes) => {
    extra.remove();
    ok.disabled = false;
    return yes && input.value.trim() === word;
  });
}

// guard runs an API call for a button: disables it meanwhile, shows errors.
export async function guard(button, fn) {
  if (button) button.disabled = true;
  try {
    return await fn();
  } catch (e) {
    if (e instanceof ApiError && e.code === "mfa_enrolment_required") { location.hash = "#/account"; return; }
    showError(e); // not an expired session's 401: onExpired has it
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
