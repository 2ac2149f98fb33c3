import { api } from "../api.js";
import { h, mount, field, table } from "../dom.js";
import { t } from "../i18n.js";
import { guard, toast, confirmAction } from "../app.js";

// webhooksCard: the tenant's webhook endpoints: add, edit (URL, events,
// enabled), ping with a signed test event, rotate the secret (shown once),
// disable, delete. reload renders the Backends tab again; a new endpoint
// shows in the list at once, its secret still shown once below (shown).
export function webhooksCard(ctx, data, reload, once, shown = h("div", { "data-test": "hook-shown" })) {
  const rows = data.webhooks.map((w) => {
    const p = ctx.path + "/webhooks/" + w.id;
    const edit = h("button", { class: "small", "data-test": "hook-edit" }, t("hookEdit"));
    const ping = h("button", { class: "small", "data-test": "hook-ping" }, t("hookPing"));
    const rotate = h("button", { class: "small", "data-test": "hook-rotate" }, t("hookRotate"));
    const del = h("button", { class: "small danger", "data-test": "hook-delete" }, t("hookDelete"));
    const editor = h("div", { class: "hook-editor", "data-test": "hook-editor" });
    edit.addEventListener("click", () => {
      if (editor.firstChild) return mount(editor);
      mount(editor, endpointForm(data.event_types, w, t("save"), async (body) => {
        await api("PATCH", p, body);
        toast(t("hookSaved"));
        reload();
      }));
    });
    ping.addEventListener("click", () => guard(ping, async () => {
      await api("POST", p + "/ping");
      toast(t("hookPinged"));
      reload();
    }));
    rotate.addEventListener("click", async () => {
      if (!(await confirmAction(t("confirmHookRotate", { url: w.url }), t("hookRotate")))) return;
      guard(rotate, async () => {
        const r = await api("POST", p + "/rotate-secret");
        mount(shown, once(t("hookSecret"), r.secret));
      });
    });
    del.addEventListener("click", async () => {
      if (!(await confirmAction(t("confirmHookDelete", { url: w.url }), t("hookDelete")))) return;
      guard(del, async () => { await api("DELETE", p); reload(); });
    });
    return [h("tr", { "data-test": "hook-row" },
      h("td", { "data-label": "URL" }, h("code", {}, w.url)),
      h("td", { "data-label": t("hookEvents") }, w.events.join(", ")),
      h("td", { "data-label": t("status") }, h("span", { class: "badge " + w.status, "data-test": "hook-status" }, t("status_" + w.status))),
      h("td", { class: "actions" }, edit, ping, rotate, del)),
    h("tr", { class: "editor-row" }, h("td", { colspan: 4 }, editor))];
  });
  const add = endpointForm(data.event_types, null, t("hookAdd"), async (body) => {
    const r = await api("POST", ctx.path + "/webhooks", body);
    mount(shown, once(t("hookSecret"), r.secret));
    card.replaceWith(webhooksCard(ctx, await api("GET", ctx.path + "/webhooks"), reload, once, shown)); // the list with it
  });
  const card = h("section", { class: "card", "data-test": "webhooks" }, h("h2", {}, t("hookTitle")),
    rows.length ? table(["URL", t("hookEvents"), t("status"), ""], rows, { class: "stack", "data-test": "hooks-table" })
      : h("p", { class: "empty" }, t("hookNone")),
    shown, h("h3", {}, t("hookAdd")), add);
  return card;
}

// endpointForm edits an endpoint (w) or makes a new one (w null).
function endpointForm(types, w, label, save) {
  const url = h("input", { type: "url", required: true, placeholder: "https://", value: w ? w.url : "", "data-test": w ? "hook-edit-url" : "hook-url" });
  const boxes = types.map((e) => h("input", { type: "checkbox", value: e, checked: w ? w.events.includes(e) : e !== "user.login" }));
  const enabled = h("input", { type: "checkbox", checked: !w || w.status === "active", "data-test": "hook-enabled" });
  const submit = h("button", { type: "submit", class: "primary", "data-test": w ? "hook-save" : "add-hook" }, label);
  const form = h("form", {}, h("div", { class: "grid" }, field("URL", url)),
    h("div", { class: "checks" }, types.map((e, i) => h("label", { class: "check" }, boxes[i], " ", e))),
    w ? h("label", { class: "check" }, enabled, " ", t("hookEnabled")) : null, submit);
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    const body = { url: url.value, events: boxes.filter((b) => b.checked).map((b) => b.value) };
    if (w) body.status = enabled.checked ? "active" : "disabled";
    guard(submit, async () => {
      await save(body);
      if (!w) url.value = "";
    });
  });
  return form;
}
