// What the console keeps when its session expires: the page the admin was
// on and the values of its form fields, in sessionStorage (this tab only,
// gone with it), so that signing in again brings both back. Passwords,
// secrets and files are never kept.
import { h } from "./dom.js";
import { t } from "./i18n.js";

const KEY = "miniauth.expired";

function read() {
  try {
    return JSON.parse(sessionStorage.getItem(KEY) || "null");
  } catch {
    return null;
  }
}

function write(v) {
  try {
    if (v) sessionStorage.setItem(KEY, JSON.stringify(v));
    else sessionStorage.removeItem(KEY);
  } catch {
    // storage disabled: the page is not kept
  }
}

// fields are the form fields of root worth keeping, keyed by data-test
// (and their rank among fields of the same data-test).
function fields(root) {
  const seen = {};
  const out = [];
  for (const el of root.querySelectorAll("input[data-test], select[data-test], textarea[data-test]")) {
    const name = el.getAttribute("data-test");
    const key = name + "#" + (seen[name] = (seen[name] ?? -1) + 1);
    if (el.type === "password" || el.type === "file" || el.type === "hidden") continue;
    out.push([key, el]);
  }
  return out;
}

// keepDrafts remembers hash and the fields of root.
export function keepDrafts(root, hash) {
  const values = {};
  for (const [key, el] of fields(root)) values[key] = el.type === "checkbox" || el.type === "radio" ? el.checked : el.value;
  write({ hash, values, returning: false });
}

// expiredNotice is the sign-in page's word on why it shows, or null.
export function expiredNotice() {
  const s = read();
  if (!s || s.returning) return null;
  const kept = Object.keys(s.values || {}).length > 0;
  return h("p", { class: "banner warn", role: "alert", "data-test": "session-expired" },
    t("sessionExpired"), kept ? " " + t("editsKept") : "");
}

// returnTo is the page to open after signing in again ("" when none).
export function returnTo() {
  const s = read();
  if (!s) return "";
  write({ ...s, returning: true });
  return s.hash || "";
}

// restoreDrafts puts the kept values back once the page is shown again.
export function restoreDrafts(root) {
  const s = read();
  if (!s || !s.returning) return;
  write(null); // once: on another page the edits no longer fit
  if (s.hash !== location.hash) return;
  let n = 0;
  for (const [key, el] of fields(root)) {
    if (!(key in s.values)) continue;
    const v = s.values[key];
    if (el.type === "checkbox" || el.type === "radio") el.checked = !!v;
    else el.value = v;
    n++;
  }
  if (n) {
    root.prepend(h("p", { class: "banner", role: "status", "data-test": "edits-restored" }, t("editsRestored")));
  }
}
