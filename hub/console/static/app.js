"use strict";
// The console page. Every value is written with textContent: nothing from a message is HTML.

function csrf() {
  const found = document.cookie.split("; ").find((c) => c.startsWith("hub_csrf="));
  return found ? decodeURIComponent(found.slice("hub_csrf=".length)) : "";
}

async function api(path, options = {}) {
  const init = {credentials: "same-origin", ...options};
  if (init.method && init.method !== "GET") {
    init.headers = {"Content-Type": "application/json", "X-CSRF-Token": csrf()};
  }
  const reply = await fetch(path, init);
  if (reply.status === 401) { window.location.assign("/login"); throw new Error("login"); }
  const body = await reply.json().catch(() => ({}));
  if (!reply.ok) { throw new Error(body.error || ("HTTP " + reply.status)); }
  return body;
}

function el(tag, text, cls) {
  const node = document.createElement(tag);
  if (text !== undefined && text !== null) { node.textContent = String(text); }
  if (cls) { node.className = cls; }
  return node;
}

function table(columns, rows, rowClass) {
  const t = el("table");
  const head = el("tr");
  columns.forEach((c) => head.appendChild(el("th", c.title)));
  t.appendChild(head);
  rows.forEach((row) => {
    const tr = el("tr", null, rowClass ? rowClass(row) : "");
    columns.forEach((c) => {
      const td = el("td", null, c.num ? "num" : "");
      const value = c.value(row);
      if (value instanceof Node) { td.appendChild(value); } else { td.textContent = value ?? "–"; }
      tr.appendChild(td);
    });
    t.appendChild(tr);
  });
  if (!rows.length) { const tr = el("tr"); const td = el("td", "none", "muted");
    td.colSpan = columns.length; tr.appendChild(td); t.appendChild(tr); }
  return t;
}

function badge(text, kind) { return el("span", text, "badge " + kind); }
function put(id, node) { const box = document.getElementById(id); box.replaceChildren(node); }
let me = {};
const picked = new Set();  // selected dead letters survive the periodic re-render

function renderOverview(snap) {
  const lagRows = [];  // partitions holding messages; empty ones have nothing to lag on
  snap.groups.forEach((g) => g.partitions.filter((p) => p.end > 0)
    .forEach((p) => lagRows.push({group: g.group, ...p})));
  const summary = table([
    {title: "group", value: (r) => r.group},
    {title: "partitions", value: (r) => r.partitions.length, num: true},
    {title: "total lag", value: (r) => r.lag, num: true},
    {title: "state", value: (r) => (r.stalled ? badge("stalled", "bad")
      : (r.lag > 0 ? badge("catching up", "warn") : badge("caught up", "ok")))},
  ], snap.groups, (r) => (r.stalled ? "stalled" : ""));
  summary.id = "lag-groups";
  const detail = table([
    {title: "group", value: (r) => r.group}, {title: "topic", value: (r) => r.topic},
    {title: "partition", value: (r) => r.partition, num: true},
    {title: "committed", value: (r) => r.committed, num: true},
    {title: "end", value: (r) => r.end, num: true}, {title: "lag", value: (r) => r.lag, num: true},
  ], lagRows, (r) => (r.lag > 0 ? "lagging" : ""));
  const box = document.createElement("div");
  box.append(summary, el("p", "Partitions with messages:", "muted"), detail);
  put("lag", box);
  const busyAgents = snap.agents.filter((a) => a.handled || a.lag || a.stalled);
  put("agents", table([
    {title: "agent", value: (r) => r.agent}, {title: "handled", value: (r) => r.handled, num: true},
    {title: "dead-lettered", value: (r) => r.dead_lettered, num: true},
    {title: "last processed", value: (r) => r.last_processed_at},
    {title: "lag", value: (r) => r.lag, num: true},
    {title: "state", value: (r) => (r.stalled ? badge("stalled", "bad") : badge("alive", "ok"))},
  ], busyAgents, (r) => (r.stalled ? "stalled" : "")));
  const idle = snap.agents.length - busyAgents.length;
  if (idle) {
    document.getElementById("agents").appendChild(
      el("p", idle + " more agents have had no messages yet.", "muted"));
  }
  put("connectors", table([
    {title: "connector", value: (r) => r.connector},
    {title: "health", value: (r) => (r.silent ? badge("silent " + (r.silent_s ?? "?") + " s", "bad")
      : (r.healthy ? badge("healthy", "ok") : badge("failing", "bad")))},
    {title: "last success", value: (r) => r.last_success},
    {title: "last failure", value: (r) => r.last_failure},
    {title: "why", value: (r) => r.last_error},
  ], snap.connectors, (r) => (r.healthy && !r.silent ? "" : "unhealthy")));
  const busy = snap.topics.filter((t) => t.messages > 0);
  put("topics", table([
    {title: "topic", value: (r) => r.topic}, {title: "direction", value: (r) => r.direction},
    {title: "partitions", value: (r) => r.partitions, num: true},
    {title: "messages", value: (r) => r.messages, num: true},
    {title: "msg/s", value: (r) => (r.rate_per_s === null ? "–" : r.rate_per_s.toFixed(2)), num: true},
    {title: "dead letters", value: (r) => snap.dead_letters[r.topic] || 0, num: true},
  ], busy));
  const select = document.getElementById("topic-select");
  if (!select.options.length) {
    snap.topics.forEach((t) => select.appendChild(new Option(t.topic, t.topic)));
  }
  document.getElementById("status").textContent = "Snapshot " + snap.at + " · " +
    snap.topics.length + " topics, " + busy.length + " with messages";
}

let shownLetters = [];

function renderLetters(rows) {
  shownLetters = rows;
  const statusKind = {pending: "warn", redriven: "warn", resolved: "ok", discarded: "muted",
                      "failed-again": "bad"};
  put("dead-letters", table([
    {title: "", value: (r) => { const box = el("input"); box.type = "checkbox";
      box.className = "pick"; box.value = r.letter_id; box.checked = picked.has(r.letter_id);
      box.addEventListener("change",
        () => (box.checked ? picked.add(r.letter_id) : picked.delete(r.letter_id)));
      return box; }},
    {title: "", value: (r) => { const a = el("a", "detail");
      a.href = "/dead-letter?id=" + encodeURIComponent(r.letter_id); return a; }},
    {title: "kind", value: (r) => r.kind},
    {title: "source", value: (r) => r.source_topic + " [" + r.source_partition + "] @" + r.source_offset},
    {title: "case", value: (r) => r.case_ref || "–"},
    {title: "error", value: (r) => r.error_type + ": " + r.error_message},
    {title: "attempts", value: (r) => r.attempts, num: true},
    {title: "failed at", value: (r) => r.failed_at},
    {title: "status", value: (r) => badge(r.status, statusKind[r.status] || "warn")},
  ], rows));
}

async function refresh() {
  try {
    renderOverview(await api("/api/overview"));
    renderLetters((await api("/api/dead-letters")).dead_letters);
  } catch (err) { document.getElementById("status").textContent = "Refresh failed: " + err.message; }
}

async function redrive() {
  const ids = [...picked];
  const out = document.getElementById("redrive-result");
  try {
    const body = await api("/api/dead-letters/redrive", {method: "POST",
      body: JSON.stringify({ids, reason: document.getElementById("reason").value})});
    out.textContent = "Re-driven: " + body.redriven.length;
    picked.clear();
  } catch (err) { out.textContent = "Refused: " + err.message; }
  await refresh();
}

async function browse() {
  const topic = document.getElementById("topic-select").value;
  const body = await api("/api/topics/" + encodeURIComponent(topic) + "/messages?limit=20");
  put("messages", table([
    {title: "partition", value: (r) => r.partition, num: true},
    {title: "offset", value: (r) => r.offset, num: true},
    {title: "value (masked)", value: (r) => el("code", JSON.stringify(
      r.value === null ? null : (r.value.record || r.value)))},
  ], body.messages));
}

async function lookup(unmask) {
  const ref = document.getElementById("case-ref").value.trim();
  const out = document.getElementById("case");
  try {
    const body = unmask
      ? await api("/api/cases/" + encodeURIComponent(ref) + "/unmask", {method: "POST",
          body: JSON.stringify({reason: document.getElementById("unmask-reason").value})})
      : await api("/api/cases/" + encodeURIComponent(ref));
    out.textContent = JSON.stringify(body, null, 2);
  } catch (err) { out.textContent = err.message; }
}

document.addEventListener("DOMContentLoaded", async () => {
  me = await api("/api/me");
  document.getElementById("who").textContent = me.name + " (" + me.role + ")";
  document.getElementById("unmask-box").hidden = me.role !== "admin";
  document.getElementById("redrive").addEventListener("click", redrive);
  document.getElementById("pick-dead").addEventListener("click", () => {
    shownLetters.filter((r) => r.status === "pending").forEach((r) => picked.add(r.letter_id));
    renderLetters(shownLetters);
  });
  document.getElementById("browse").addEventListener("click", browse);
  document.getElementById("lookup").addEventListener("click", () => lookup(false));
  document.getElementById("unmask").addEventListener("click", () => lookup(true));
  document.getElementById("logout").addEventListener("click", async () => {
    await api("/api/logout", {method: "POST", body: "{}"}); window.location.assign("/login");
  });
  await refresh();
  setInterval(refresh, 3000);
});
