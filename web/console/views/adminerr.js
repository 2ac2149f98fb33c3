// errText is an error as the admin screens show it: the error code's own
// words in the console's language when it has them (i18n "err_<code>"),
// else the server's message and code.
import { ApiError } from "../api.js";
import { t } from "../i18n.js";
import { errorText } from "../app.js";

export function errText(e) {
  if (e instanceof ApiError && e.code) {
    const key = "err_" + e.code;
    const s = t(key, { seconds: e.retryAfter || "" });
    if (s !== key) return s + " (" + e.code + ")";
  }
  return errorText(e);
}

// codeInput is a field for a six-digit code or a recovery code.
export function codeInput(test) {
  return { type: "text", inputmode: "text", autocomplete: "one-time-code", maxlength: 24, required: true, "data-test": test };
}
