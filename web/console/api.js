// The console talks to the admin API only. The CSRF token comes with the
// session (sign-in, or GET /admin/api/session after a reload) and goes back
// in a header on every state-changing call.

let csrf = "";

export class ApiError extends Error {
  constructor(status, code, message, error) {
    super(message);
    this.status = status;
    this.code = code;
    this.error = error || {}; // the whole error object, e.g. an import's lines
  }
}

export function setCSRF(token) {
  csrf = token || "";
}

// api calls the admin API with a JSON body; apiText sends a text body of
// another type (a CSV import).
export async function api(method, path, body) {
  return call(method, path, body === undefined ? undefined : JSON.stringify(body), "application/json");
}

export async function apiText(method, path, text, type) {
  return call(method, path, text, type);
}

async function call(method, path, body, type) {
  const headers = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = type;
  if (method !== "GET") headers["X-CSRF-Token"] = csrf;
  let res;
  try {
    res = await fetch("/admin/api" + path, {
      method, headers, credentials: "same-origin",
      body,
    });
  } catch {
    throw new ApiError(0, "network", "");
  }
  if (res.status === 204) return null;
  let data = null;
  try {
    data = await res.json();
  } catch {
    data = null;
  }
  if (!res.ok) {
    const e = (data && data.error) || {};
    throw new ApiError(res.status, e.code || "internal", e.message || res.statusText, e);
  }
  return data;
}

// q builds a query string from the non-empty values of params.
export function q(params) {
  const s = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== "") s.set(k, v);
  const out = s.toString();
  return out ? "?" + out : "";
}
