// The page of TestChartsInBrowser: draws each kind of chart from fixed
// numbers under the console's CSP and reports what went wrong.
import { lineChart, barChart, causeLabel } from "./chart.js";
import { setLang, t } from "./i18n.js";

const problems = [];
document.addEventListener("securitypolicyviolation", (e) => problems.push("CSP " + e.violatedDirective + " " + e.blockedURI));
window.addEventListener("error", (e) => problems.push("error " + e.message));
window.chartProblems = problems;

setLang(new URLSearchParams(location.search).get("lang") || "en");
const days = [];
for (let i = 0; i < 30; i++) days.push(new Date(Date.UTC(2026, 10, 1 + i)).toISOString().slice(0, 10));
const logins = days.map((_, i) => 1000 + 37 * i);
lineChart(document.getElementById("logins"), {
  title: t("chartLogins"), test: "chart-logins", days,
  series: [{ label: t("chartLogins"), values: logins }, { label: t("chartNewUsers"), values: days.map((_, i) => i * 3) }],
});
lineChart(document.getElementById("users"), {
  title: t("chartDAU"), test: "chart-users", days,
  series: [{ label: t("chartDAU"), values: days.map(() => 400), sum: false }, { label: t("chartMAU"), values: days.map((_, i) => 5000 + i), sum: false }],
});
barChart(document.getElementById("causes"), {
  title: t("chartFailedByCause"), test: "chart-causes",
  items: [{ label: causeLabel("a_cause_from_the_future"), value: 3 }, { label: causeLabel("invalid_code"), value: 12 }],
});
barChart(document.getElementById("none"), { title: t("chartFailedByCause"), test: "chart-none", items: [] });
document.body.dataset.ready = "1";
