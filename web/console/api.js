// The console talks to the admin API only. The CSRF token comes with the
// session (sign-in, or GET /admin/api/session after a reload) and goes back
// in a header on every state-changing call.

let csrf = "";

export class ApiError extends Error {
  constructor(status, code, message, retryAfter = 0) {
    super(message);
    this.status = status;
    this.code = code;
    this.retryAfter = retryAfter; // seconds, from Retry-After; 0 when absent
  }
}

export function setCSRF(token) {
  csrf = token || "";
}

// onExpired is called when a signed-in console's call answers 401
// unauthenticated: the session expired or was revoked (app.js).
let expired = () => {};
export function onExpired(f) {
  expired = f;
}

export async function api(method, path, body) {
  const headers = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (method !== "GET") headers["X-CSRF-Token"] = csrf;
  let res;
  try {
    res = await fetch("/admin/api" + path, {
      method, headers, credentials: "same-origin",
      body: body === undefined ? undefined : JSON.stringify(body),
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
    const err = new ApiError(res.status, e.code || "internal", e.message || res.statusText,
      Number(res.headers.get("Retry-After")) || 0);
    if (res.status === 401 && err.code === "unauthenticated" && csrf) expired(err);
    throw err;
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
