import { api } from "../api.js";
import { h, field, table, fmtTime } from "../dom.js";
import { t, lang } from "../i18n.js";
import { guard, toast, confirmAction, showError } from "../app.js";

const refresh = () => window.dispatchEvent(new HashChangeEvent("hashchange"));

// verifyFilesCard: the official accounts' domain verification files
// (MP_verify_*.txt) the product serves from its root. The card fills in
// once the list has loaded.
export function verifyFilesCard(ctx) {
  const base = ctx.path + "/mp-verify";
  const list = h("div", {}, h("p", { class: "empty" }, "…"));
  api("GET", base).then(({ files }) => {
    const rows = files.map((f) => {
      const rm = h("button", { class: "small danger" }, t("remove"));
      rm.addEventListener("click", async () => {
        if (!(await confirmAction(t("confirmRemoveVerifyFile", { name: f.name }), t("remove")))) return;
        guard(rm, async () => { await api("DELETE", base + "/" + encodeURIComponent(f.name)); refresh(); });
      });
      return h("tr", {}, h("td", {}, h("code", {}, f.url_path)), h("td", {}, h("code", {}, f.content)),
        h("td", {}, fmtTime(f.updated_at, lang())), h("td", {}, rm));
    });
    list.replaceChildren(rows.length ? table([t("verifyPath"), t("verifyContent"), t("updated"), ""], rows, { "data-test": "verify-table" })
      : h("p", { class: "empty" }, t("noVerifyFiles")));
  }, showError);

  // The file WeChat's console offers: its name and its text are all it takes.
  const file = h("input", { type: "file", accept: ".txt,text/plain", required: true, "data-test": "verify-file" });
  const submit = h("button", { type: "submit", "data-test": "verify-upload" }, t("uploadVerifyFile"));
  const err = h("p", { class: "error", role: "alert", "data-test": "verify-error" });
  const form = h("form", { class: "grid", novalidate: true }, field(t("verifyFile"), file), h("div", { class: "field end" }, submit));
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    const f = file.files[0];
    // What the server refuses is said before anything is sent.
    err.textContent = !f ? t("verifyChoose") : !/^MP_verify_[A-Za-z0-9]{1,32}\.txt$/.test(f.name) ? t("verifyBadName")
      : f.size < 1 || f.size > 64 ? t("verifyBadSize") : "";
    if (err.textContent) return;
    guard(submit, async () => {
      const content = await f.text();
      await api("PUT", base + "/" + encodeURIComponent(f.name), { content });
      toast(t("saved"));
      refresh();
    });
  });
  return h("section", { class: "card", id: "verify-files" }, h("h2", {}, t("verifyFiles")), h("p", { class: "hint" }, t("verifyFilesHint")), list, form, err);
}
