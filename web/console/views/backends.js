import { api } from "../api.js";
import { h, mount, field, table, fmtTime } from "../dom.js";
import { lang, codeText } from "../i18n.js";
import { guard, toast, confirmAction, confirmTyped } from "../app.js";

// backendsView: what the tenant's own servers use (docs/backends.md): API
// keys, JWT signing keys, webhooks and their deliveries. A new API key or
// webhook secret is shown once, in the card that made it.

const L = {
  en: {
    apiKeys: "API keys", apiKeysHint: "Your servers send an API key as Authorization: Bearer <key> to introspect tokens.",
    keyName: "What is it for?", createKey: "Create API key", prefix: "Key", lastUsed: "Last used", revoked: "revoked",
    revoke: "Revoke", confirmRevokeKey: "Revoke the key {name}? Servers using it are refused at once.",
    shownOnce: "Copy it now: it is shown only once.", never: "never",
    signingKeys: "JWT signing keys", jwks: "JWKS", rotate: "Rotate now", rotated: "Keys rotated.",
    confirmRotateKeys: "Make the next key the signing key? Tokens signed so far stay valid until they expire.",
    state: "State", alg: "Algorithm", created: "Created", webhooks: "Webhooks", url: "URL", events: "Events",
    addWebhook: "Add webhook", secret: "Signing secret", disable: "Disable", enable: "Enable", delete: "Delete",
    confirmDeleteHook: "Delete the webhook to {url} and its delivery history?",
    deliveries: "Recent deliveries", event: "Event", attempts: "Attempts", answer: "Answer", replay: "Replay",
    replayed: "Queued again.", noDeliveries: "No deliveries yet.", noWebhooks: "No webhooks yet.", noKeys: "No API keys yet.",
    rotateAfter: "The next key was published recently: every verifier may not have fetched it yet. Rotation is possible from {time}.",
    rotateNow: "The next key has been published long enough: rotation is possible now.",
    emergency: "Emergency: retire the current key now", emergencyHint: "For a leaked key: the current key leaves the JWKS at once and every access token it signed stops verifying, at introspection and at any verifier that fetches the JWKS again. Apps get new tokens from their sessions.",
    confirmEmergency: "Retire the current signing key of {tenant} now? Every access token it signed stops verifying at once; verifiers that have not fetched the next key yet refuse new tokens until they do.",
    emergencyDone: "The current key is retired: tokens it signed no longer verify.",
  },
  "zh-CN": {
    apiKeys: "API 密钥", apiKeysHint: "您的服务器以 Authorization: Bearer <密钥> 调用令牌校验接口。",
    keyName: "用途", createKey: "创建 API 密钥", prefix: "密钥", lastUsed: "最近使用", revoked: "已吊销",
    revoke: "吊销", confirmRevokeKey: "吊销密钥 {name}？使用它的服务器将立即被拒绝。",
    shownOnce: "请立即复制：它只显示这一次。", never: "从未",
    signingKeys: "JWT 签名密钥", jwks: "JWKS", rotate: "立即轮换", rotated: "密钥已轮换。",
    confirmRotateKeys: "让下一把密钥开始签名？已签发的令牌在过期前仍然有效。",
    state: "状态", alg: "算法", created: "创建时间", webhooks: "Webhook", url: "地址", events: "事件",
    addWebhook: "添加 Webhook", secret: "签名密钥", disable: "停用", enable: "启用", delete: "删除",
    confirmDeleteHook: "删除发往 {url} 的 Webhook 及其投递记录？",
    deliveries: "最近投递", event: "事件", attempts: "尝试次数", answer: "响应", replay: "重新投递",
    replayed: "已重新排队。", noDeliveries: "暂无投递。", noWebhooks: "暂无 Webhook。", noKeys: "暂无 API 密钥。",
    rotateAfter: "下一把密钥刚发布不久，验证方可能尚未获取。{time} 起可以轮换。",
    rotateNow: "下一把密钥已发布足够久，现在可以轮换。",
    emergency: "紧急：立即停用当前密钥", emergencyHint: "用于密钥泄露：当前密钥立即从 JWKS 中移除，它签发的所有访问令牌立即失效（令牌校验接口以及重新获取 JWKS 的验证方）。应用会通过会话获取新令牌。",
    confirmEmergency: "立即停用 {tenant} 当前的签名密钥？它签发的所有访问令牌立即失效；尚未获取下一把密钥的验证方在获取之前会拒绝新令牌。",
    emergencyDone: "当前密钥已停用：它签发的令牌不再有效。",
  },
};

function tr(key, params = {}) {
  const s = (L[lang()] || L.en)[key] ?? L.en[key] ?? key;
  return s.replace(/\{(\w+)\}/g, (_, k) => String(params[k] ?? ""));
}

const reload = () => window.dispatchEvent(new HashChangeEvent("hashchange"));

// once shows a secret with the warning that it will not be shown again.
function once(label, value) {
  return h("div", { class: "result ok", role: "status", "data-test": "shown-once" },
    h("strong", {}, label + ": "), h("code", {}, value), h("p", { class: "hint" }, tr("shownOnce")));
}

export async function backendsView(root, ctx) {
  const [keys, signing, hooks, deliveries] = await Promise.all([
    api("GET", ctx.path + "/api-keys"), api("GET", ctx.path + "/signing-keys"),
    api("GET", ctx.path + "/webhooks"), api("GET", ctx.path + "/webhook-deliveries?limit=20"),
  ]);
  mount(root, apiKeysCard(ctx, keys.api_keys), signingCard(ctx, signing), webhooksCard(ctx, hooks),
    deliveriesCard(ctx, deliveries.deliveries));
}

function apiKeysCard(ctx, list, shown = h("div")) {
  const rows = list.map((k) => {
    const btn = h("button", { class: "danger", disabled: !!k.revoked_at, "data-test": "revoke-key" }, tr("revoke"));
    btn.addEventListener("click", async () => {
      if (!(await confirmAction(tr("confirmRevokeKey", { name: k.name || k.prefix }), tr("revoke")))) return;
      guard(btn, async () => { await api("DELETE", ctx.path + "/api-keys/" + k.id); reload(); });
    });
    return h("tr", {}, h("td", {}, k.name), h("td", {}, h("code", {}, k.prefix + "…")),
      h("td", {}, k.last_used_at ? fmtTime(k.last_used_at, lang()) : tr("never")),
      h("td", {}, k.revoked_at ? h("span", { class: "badge disabled" }, tr("revoked")) : btn));
  });
  const name = h("input", { maxlength: 64, "data-test": "key-name" });
  const submit = h("button", { type: "submit", class: "primary", "data-test": "create-key" }, tr("createKey"));
  const form = h("form", { class: "inline" }, field(tr("keyName"), name), submit);
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    guard(submit, async () => {
      const r = await api("POST", ctx.path + "/api-keys", { name: name.value });
      name.value = "";
      mount(shown, once(tr("prefix"), r.key));
      // The list with the new key, the key still shown below it.
      card.replaceWith(apiKeysCard(ctx, (await api("GET", ctx.path + "/api-keys")).api_keys, shown));
    });
  });
  const card = h("section", { class: "card", "data-test": "api-keys" }, h("h2", {}, tr("apiKeys")),
    h("p", { class: "hint" }, tr("apiKeysHint")),
    rows.length ? table([tr("keyName"), tr("prefix"), tr("lastUsed"), ""], rows, { "data-test": "api-keys-table" }) : h("p", { class: "empty" }, tr("noKeys")),
    form, shown);
  return card;
}

function signingCard(ctx, data) {
  const rows = data.signing_keys.map((k) => h("tr", {}, h("td", {}, h("code", {}, k.kid)), h("td", {}, k.alg),
    h("td", {}, h("span", { class: "badge " + (k.state === "current" ? "active" : "") }, codeText("state", k.state))),
    h("td", {}, fmtTime(k.created_at, lang()))));
  // The cooldown is said before anyone asks, in the admin's own time zone.
  const until = data.rotate_after ? new Date(data.rotate_after) : null;
  const cooldown = h("p", { class: "hint", "data-test": "rotate-cooldown", "data-until": data.rotate_after || null },
    until ? tr("rotateAfter", { time: fmtTime(data.rotate_after, lang()) }) : tr("rotateNow"));
  const btn = h("button", { disabled: !!until && until > new Date(), "data-test": "rotate-keys" }, tr("rotate"));
  btn.addEventListener("click", async () => {
    if (!(await confirmAction(tr("confirmRotateKeys"), tr("rotate")))) return;
    guard(btn, async () => { await api("POST", ctx.path + "/signing-keys/rotate"); toast(tr("rotated")); reload(); });
  });
  const emergency = h("button", { class: "danger", "data-test": "rotate-emergency" }, tr("emergency"));
  emergency.addEventListener("click", async () => {
    const slug = ctx.tenant.slug;
    if (!(await confirmTyped(tr("confirmEmergency", { tenant: slug }), slug, tr("emergency")))) return;
    guard(emergency, async () => {
      await api("POST", ctx.path + "/signing-keys/rotate", { emergency: true });
      toast(tr("emergencyDone"));
      reload();
    });
  });
  return h("section", { class: "card", "data-test": "signing-keys" }, h("h2", {}, tr("signingKeys")),
    h("p", { class: "hint" }, tr("jwks") + ": ", h("code", {}, data.jwks_uri)),
    table(["kid", tr("alg"), tr("state"), tr("created")], rows, { "data-test": "signing-table" }), cooldown, btn,
    h("div", { class: "danger-zone emergency" }, h("p", { class: "hint" }, tr("emergencyHint")), emergency));
}

function webhooksCard(ctx, data, shown = h("div")) {
  const rows = data.webhooks.map((w) => {
    const p = ctx.path + "/webhooks/" + w.id;
    const toggle = h("button", {}, w.status === "active" ? tr("disable") : tr("enable"));
    toggle.addEventListener("click", () => guard(toggle, async () => {
      await api("PATCH", p, { status: w.status === "active" ? "disabled" : "active" });
      reload();
    }));
    const del = h("button", { class: "danger" }, tr("delete"));
    del.addEventListener("click", async () => {
      if (!(await confirmAction(tr("confirmDeleteHook", { url: w.url }), tr("delete")))) return;
      guard(del, async () => { await api("DELETE", p); reload(); });
    });
    return h("tr", {}, h("td", {}, h("code", {}, w.url)), h("td", {}, w.events.join(", ")),
      h("td", {}, h("span", { class: "badge " + w.status }, w.status)), h("td", { class: "actions" }, toggle, del));
  });
  const url = h("input", { type: "url", required: true, placeholder: "https://", "data-test": "hook-url" });
  const boxes = data.event_types.map((e) => h("input", { type: "checkbox", value: e, checked: e !== "user.login" }));
  const submit = h("button", { type: "submit", class: "primary", "data-test": "add-hook" }, tr("addWebhook"));
  const form = h("form", {}, h("div", { class: "grid" }, field(tr("url"), url)),
    h("div", { class: "checks" }, data.event_types.map((e, i) => h("label", { class: "check" }, boxes[i], " ", e))), submit);
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    guard(submit, async () => {
      const r = await api("POST", ctx.path + "/webhooks", { url: url.value, events: boxes.filter((b) => b.checked).map((b) => b.value) });
      url.value = "";
      mount(shown, once(tr("secret"), r.secret));
      card.replaceWith(webhooksCard(ctx, await api("GET", ctx.path + "/webhooks"), shown)); // the list with it
    });
  });
  const card = h("section", { class: "card", "data-test": "webhooks" }, h("h2", {}, tr("webhooks")),
    rows.length ? table([tr("url"), tr("events"), tr("state"), ""], rows) : h("p", { class: "empty" }, tr("noWebhooks")),
    form, shown);
  return card;
}

function deliveriesCard(ctx, list) {
  const rows = list.map((d) => {
    const btn = h("button", {}, tr("replay"));
    btn.addEventListener("click", () => guard(btn, async () => {
      await api("POST", ctx.path + "/webhook-deliveries/" + d.id + "/replay");
      toast(tr("replayed"));
    }));
    const answer = d.response_status ? d.response_status + " " + (d.response_body || "").slice(0, 80) : (d.last_error || "");
    return h("tr", {}, h("td", {}, fmtTime(d.created_at, lang())), h("td", {}, d.event_type),
      h("td", {}, h("span", { class: "badge " + (d.status === "succeeded" ? "active" : d.status === "failed" ? "disabled" : "") }, codeText("status", d.status))),
      h("td", {}, String(d.attempts)), h("td", {}, answer), h("td", {}, btn));
  });
  return h("section", { class: "card" }, h("h2", {}, tr("deliveries")),
    rows.length ? table([tr("deliveries"), tr("event"), tr("state"), tr("attempts"), tr("answer"), ""], rows)
      : h("p", { class: "empty" }, tr("noDeliveries")));
}
