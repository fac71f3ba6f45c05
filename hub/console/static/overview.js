"use strict";
// Overview: one screen that answers "is anything wrong"; every card links to its details.

function sparkline(points, field) {
  const ns = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(ns, "svg");
  svg.setAttribute("viewBox", "0 0 120 30");
  svg.setAttribute("class", "spark");
  svg.setAttribute("role", "img");
  const values = points.map((p) => p[field]);
  svg.setAttribute("aria-label", field + " trend over " + values.length + " samples");
  if (values.length > 1) {
    const max = Math.max(...values, 1);
    const line = document.createElementNS(ns, "polyline");
    line.setAttribute("points", values.map((v, i) =>
      (i * 120 / (values.length - 1)).toFixed(1) + "," + (28 - (v / max) * 26).toFixed(1)).join(" "));
    line.setAttribute("fill", "none");
    line.setAttribute("stroke", "currentColor");
    line.setAttribute("stroke-width", "2");
    svg.appendChild(line);
  }
  return svg;
}

function trendWord(points, field) {
  if (points.length < 2) { return "no trend yet"; }
  const first = points[Math.max(0, points.length - 12)][field];
  const last = points[points.length - 1][field];
  if (last > first) { return "rising (was " + first + ")"; }
  if (last < first) { return "falling (was " + first + ")"; }
  return "steady";
}

function card(id, title, value, kind, detail, href, extra) {
  const a = Hub.link("", href, "card " + kind);
  a.id = id;
  a.appendChild(Hub.el("span", title, "card-title"));
  a.appendChild(Hub.el("strong", value, "card-value"));
  if (extra) { a.appendChild(extra); }
  a.appendChild(Hub.el("span", detail, "card-detail"));
  return a;
}

function renderOverview(box, snap, letters) {
  const stalled = snap.agents.filter((a) => a.stalled);
  const badConn = snap.connectors.filter((c) => c.silent || !c.healthy);
  const trend = snap.trend || [];
  const lag = snap.groups.reduce((n, g) => n + g.lag, 0);
  const rate = trend.length ? trend[trend.length - 1].in_per_s : 0;
  const cards = Hub.el("div", null, "cards");
  cards.append(
    card("card-agents", "Agents", stalled.length ? stalled.length + " stalled" : "all alive",
      stalled.length ? "bad" : "ok", snap.agents.length + " agents with messages", "#/groups"),
    card("card-connectors", "Connectors", badConn.length ? badConn.length + " failing or silent"
      : (snap.connectors.length ? "all healthy" : "none reporting"),
      badConn.length ? "bad" : (snap.connectors.length ? "ok" : "warn"),
      snap.connectors.length + " reporting", "#/overview?show=connectors"),
    card("card-dead", "Dead letters", letters + " pending", letters ? "bad" : "ok",
      "not yet re-driven or resolved", "#/dead-letters?status=pending"),
    card("card-lag", "Total lag", String(lag), lag ? "warn" : "ok", trendWord(trend, "lag"),
      "#/groups", sparkline(trend, "lag")),
    card("card-rate", "Throughput", rate.toFixed(1) + " msg/s", "ok", "inbound, last sample",
      "#/topics", sparkline(trend, "in_per_s")));
  const problems = Hub.section("What needs attention", "problems");
  if (!stalled.length && !badConn.length && !letters) {
    problems.appendChild(Hub.badge("Nothing is wrong", "ok"));
  }
  stalled.forEach((a) => problems.appendChild(Hub.el("p", "Agent " + a.agent + " is stalled with lag "
    + a.lag + " (last processed " + (a.last_processed_at || "never") + ")", "bad")));
  badConn.forEach((c) => problems.appendChild(Hub.el("p", "Connector " + c.connector + " is "
    + (c.silent ? "silent for " + (c.silent_s ?? "?") + " s" : "failing: " + (c.last_error || "")),
  "bad")));
  if (letters) { problems.appendChild(Hub.link(letters + " dead letter(s) wait for a re-drive",
    "#/dead-letters?status=pending")); }
  const conn = Hub.section("Connectors", "connectors");
  conn.appendChild(Hub.table([
    {title: "connector", value: (r) => r.connector},
    {title: "health", value: (r) => (r.silent ? Hub.badge("silent " + (r.silent_s ?? "?") + " s", "bad")
      : (r.healthy ? Hub.badge("healthy", "ok") : Hub.badge("failing", "bad")))},
    {title: "last success", value: (r) => Hub.time(r.last_success)},
    {title: "last failure", value: (r) => Hub.time(r.last_failure)},
    {title: "why", value: (r) => r.last_error},
  ], snap.connectors, (r) => (r.healthy && !r.silent ? "" : "unhealthy")));
  const agents = Hub.section("Agents", "agents");
  agents.appendChild(Hub.table([
    {title: "agent", value: (r) => r.agent},
    {title: "state", value: (r) => (r.stalled ? Hub.badge("stalled", "bad") : Hub.badge("alive", "ok"))},
    {title: "lag", value: (r) => r.lag, num: true},
    {title: "handled", value: (r) => r.handled, num: true},
    {title: "last processed", value: (r) => Hub.time(r.last_processed_at)},
  ], snap.agents.filter((a) => a.handled || a.lag || a.stalled), (r) => (r.stalled ? "stalled" : "")));
  box.replaceChildren(cards, problems, conn, agents);
  Hub.status("Snapshot " + snap.at + " · " + snap.topics.length + " topics");
  const when = document.createElement("span");
  when.append(" · ", Hub.time(snap.at));
  document.getElementById("status").appendChild(when);
}

Hub.pages.overview = async function (view, params) {
  view.appendChild(Hub.el("h2", "Overview", "page-title"));
  const box = Hub.el("div");
  view.appendChild(box);
  const refresh = async () => {
    const [snap, letters] = await Promise.all([Hub.api("/api/overview"),
      Hub.api("/api/dead-letters?status=pending&limit=1")]);
    renderOverview(box, snap, letters.total);
  };
  await refresh();
  if (params.get("show") === "connectors") { document.getElementById("connectors").scrollIntoView(); }
  Hub.every(5000, () => refresh().catch((e) => Hub.status("Refresh failed: " + e.message, "bad")));
};
