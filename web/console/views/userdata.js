import { api, apiText, ApiError } from "../api.js";
import { h, mount, field, table, fmtTime } from "../dom.js";
import { t, lang } from "../i18n.js";
import { wayLabel } from "../chart.js";
import { guard, toast, confirmAction, showError } from "../app.js";

// What the users screens do with data: the CSV import (parsed here for a
// preview, sent as it is, answered line by line), the export, a user's ban
// with a reason and an end, and their login history.

// parseCSV reads RFC 4180 CSV: quoted fields, doubled quotes, CRLF or LF.
export function parseCSV(text) {
  const rows = [];
  let row = [], cell = "", quoted = false;
  text = text.replace(/^\ufeff/, "");
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') { cell += '"'; i++; }
      else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ",") { row.push(cell); cell = ""; }
    else if (c === "\n" || c === "\r") {
      if (c === "\r" && text[i + 1] === "\n") i++;
      row.push(cell); rows.push(row); row = []; cell = "";
    } else cell += c;
  }
  if (cell !== "" || row.length) { row.push(cell); rows.push(row); }
  return rows.filter((r) => r.some((x) => x.trim() !== ""));
}

const previewMax = 100;

export function importCard(ctx, imported) {
  const file = h("input", { type: "file", accept: ".csv,text/csv", "data-test": "import-file" });
  const preview = h("div", { "data-test": "import-preview" });
  const result = h("div", { "data-test": "import-result" });
  const send = h("button", { class: "primary", disabled: true, "data-test": "import-send" }, t("importSend"));
  let text = "";
  file.addEventListener("change", async () => {
    mount(result);
    const f = file.files[0];
    text = f ? await f.text() : "";
    const rows = parseCSV(text);
    send.disabled = rows.length < 2;
    if (!rows.length) return mount(preview, h("p", { class: "empty" }, t("importEmpty")));
    const head = rows[0].map((x) => x.trim().toLowerCase());
    const body = rows.slice(1);
    if (!head.includes("phone")) {
      send.disabled = true;
      return mount(preview, h("p", { class: "result bad" }, t("importNoPhone")));
    }
    mount(preview,
      h("p", { class: "hint", "data-test": "import-count" }, t("importPreview", { n: body.length, shown: Math.min(body.length, previewMax) })),
      table([t("importLine"), ...rows[0]], body.slice(0, previewMax).map((r, i) =>
        h("tr", { "data-line": i + 2 }, h("td", { "data-label": t("importLine") }, String(i + 2)),
          head.map((x, k) => h("td", { "data-label": rows[0][k] }, r[k] ?? "")))), { class: "stack", "data-test": "import-preview-table" }));
  });
  send.addEventListener("click", async () => {
    if (!(await confirmAction(t("importConfirm"), t("importSend")))) return;
    guard(send, async () => {
      try {
        const r = await apiText("POST", ctx.path + "/users/import", text, "text/csv");
        mount(result, h("p", { class: "result ok", role: "status", "data-test": "import-done" }, t("importDone", { created: r.created, updated: r.updated })),
          table([t("importLine"), t("importOutcome"), t("userId")], (r.rows || []).map((x) => h("tr", { "data-test": "import-row" },
            h("td", { "data-label": t("importLine") }, String(x.line)),
            h("td", { "data-label": t("importOutcome") }, t("import_" + x.result)),
            h("td", { "data-label": t("userId") }, h("a", { href: ctx.base + "/users/" + encodeURIComponent(x.user) }, h("code", {}, x.user))))),
          { class: "stack", "data-test": "import-rows" }));
        imported();
      } catch (e) {
        if (!(e instanceof ApiError) || !e.error.lines) throw e;
        mount(result, h("p", { class: "result bad", role: "alert", "data-test": "import-refused" }, t("importRefused")),
          table([t("importLine"), t("importProblem")], e.error.lines.map((x) => h("tr", { "data-test": "import-error" },
            h("td", { "data-label": t("importLine") }, String(x.line)), h("td", { "data-label": t("importProblem") }, x.message))),
          { class: "stack" }));
        for (const x of e.error.lines) preview.querySelector(`tr[data-line="${x.line}"]`)?.classList.add("bad");
      }
    });
  });
  const exportLink = h("a", { class: "button", href: "/admin/api" + ctx.path + "/users/export", download: ctx.tenant.slug + "-users.csv",
    "data-test": "users-export" }, t("exportUsers"));
  return h("section", { class: "card", "data-test": "import-card" }, h("h2", {}, t("importTitle")),
    h("p", { class: "hint" }, t("importHint")), field(t("importFile"), file), preview, send, result,
    h("h3", {}, t("exportTitle")), h("p", { class: "hint" }, t("exportHint")), exportLink);
}

// banForm is the ban with a reason and an optional end (a date, the ban
// ending at its start in the admin's time zone), or the unban button.
export function banForm(path, u, reload) {
  if (u.status === "banned") {
    const button = h("button", { "data-test": "user-unban" }, t("unban"));
    button.addEventListener("click", () => guard(button, async () => {
      await api("POST", path + "/unban");
      toast(t("userUnbanned"));
      reload();
    }));
    return { form: null, button };
  }
  const reason = h("input", { maxlength: 200, "data-test": "ban-reason-input" });
  const until = h("input", { type: "date", "data-test": "ban-until-input" });
  const button = h("button", { class: "danger", "data-test": "user-ban" }, t("ban"));
  const form = h("div", { class: "grid", "data-test": "ban-form" }, field(t("banReason"), reason), field(t("bannedUntilOptional"), until));
  button.addEventListener("click", async () => {
    const body = { reason: reason.value.trim() };
    if (until.value) body.until = new Date(until.value + "T00:00:00").toISOString();
    const text = until.value ? t("confirmBanUntil", { until: fmtTime(body.until, lang()) }) : t("confirmBan");
    if (!(await confirmAction(text, t("ban")))) return;
    guard(button, async () => {
      await api("POST", path + "/ban", body);
      toast(t("userBanned"));
      reload();
    });
  });
  return { form, button };
}

export function loginsCard(path) {
  const body = h("div", {}, h("p", { class: "hint" }, "…"));
  api("GET", path + "/logins").then((r) => {
    mount(body, r.logins.length
      ? table([t("time"), t("loginWay"), "AppID", "IP", t("userAgent")], r.logins.map((l) => h("tr", { "data-test": "login-row" },
        h("td", { "data-label": t("time") }, fmtTime(l.at, lang())),
        // Logins noted before the history kept its way in have none.
        h("td", { "data-label": t("loginWay"), "data-test": "login-way" }, l.way ? wayLabel(l.way) : "—"),
        h("td", { "data-label": "AppID" }, h("code", {}, l.appid || "—")),
        h("td", { "data-label": "IP" }, l.ip || "—"), h("td", { class: "wrap", "data-label": t("userAgent") }, l.user_agent || "—"))),
      { class: "stack", "data-test": "logins-table" })
      : h("p", { class: "empty", "data-test": "no-logins" }, t("noLogins")));
  }).catch(showError);
  return h("section", { class: "card" }, h("h2", {}, t("loginHistory")), h("p", { class: "hint" }, t("loginHistoryHint")), body);
}
