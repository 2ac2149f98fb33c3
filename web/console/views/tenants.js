import { api } from "../api.js";
import { h, mount, field, table, fmtTime } from "../dom.js";
import { t, lang } from "../i18n.js";
import { crumbs, guard, toast, showError } from "../app.js";

// tenantsView: the platform admin's list of tenants and the form to add one.
export async function tenantsView(root) {
  crumbs();
  let data;
  try {
    data = await api("GET", "/tenants");
  } catch (e) {
    return showError(e);
  }
  const rows = data.tenants.map((x) =>
    h("tr", {},
      h("td", {}, h("a", { href: "#/t/" + encodeURIComponent(x.slug), "data-test": "tenant-link" }, x.slug)),
      h("td", {}, x.name),
      h("td", {}, h("span", { class: "badge " + x.status }, t("status_" + x.status))),
      h("td", {}, fmtTime(x.created_at, lang()))));

  const slug = h("input", { name: "slug", required: true, pattern: "[a-z0-9\\-]{3,32}", placeholder: "acme", "aria-describedby": "slug-hint", "data-test": "new-slug" });
  const name = h("input", { name: "name", required: true, "data-test": "new-name" });
  const appid = h("input", { name: "appid", required: true, placeholder: "wx…", "data-test": "new-appid" });
  const secret = h("input", { name: "secret", type: "password", autocomplete: "off", required: true, "data-test": "new-secret" });
  const submit = h("button", { type: "submit", class: "primary", "data-test": "new-submit" }, t("createTenant"));
  const form = h("form", { class: "card" },
    h("h2", {}, t("newTenant")),
    h("div", { class: "grid" }, field(t("slug"), slug), field(t("name"), name), field("AppID", appid), field("AppSecret", secret)),
    h("p", { class: "hint", id: "slug-hint", "data-test": "slug-hint" }, t("slugHint")),
    h("p", { class: "hint" }, t("secretWriteOnly")),
    submit);
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    guard(submit, async () => {
      const r = await api("POST", "/tenants", { slug: slug.value, name: name.value, appid: appid.value, secret: secret.value });
      secret.value = "";
      toast(t("tenantCreated"));
      location.hash = "#/t/" + encodeURIComponent(r.tenant.slug);
    });
  });

  mount(root,
    h("section", {},
      h("h1", {}, t("tenants")),
      h("p", {}, h("a", { href: "#/usage", "data-test": "platform-usage-link" }, t("platformUsageLink"))),
      rows.length ? table([t("slug"), t("name"), t("status"), t("created")], rows, { "data-test": "tenants-table" })
        : h("p", { class: "empty" }, t("noTenants"))),
    form);
}
