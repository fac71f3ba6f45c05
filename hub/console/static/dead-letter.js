"use strict";
// One dead letter: its error, source, attempts, status, history and masked original, and its
// actions. Every value is written with textContent: nothing from a message is HTML.

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

const STATUS_KIND = {pending: "warn", redriven: "warn", resolved: "ok", discarded: "muted",
                     "failed-again": "bad"};
const letterId = new URLSearchParams(window.location.search).get("id") || "";

function link(id) {
  const a = el("a", id);
  a.href = "/dead-letter?id=" + encodeURIComponent(id);
  return a;
}

// Europe/Amsterdam time with UTC on hover (core.js), and who set the status.
function since(d) {
  const span = el("span");
  span.append(Hub.time(d.status_at));
  if (d.status_actor) { span.appendChild(document.createTextNode(" by " + d.status_actor)); }
  return span;
}

function fields(d) {
  const rows = [
    ["id", d.letter_id], ["status", null], ["kind", d.kind === "edge"
      ? "edge (partner payload at the connector, sealed)" : "in-hub (a hub message)"],
    ["error", d.error_type + ": " + d.error_message], ["attempts", d.attempts],
    ["consumer", d.consumer],
    ["source", d.source_topic + " [" + d.source_partition + "] @" + d.source_offset],
    ["case", d.case_ref || "–"], ["failed at", Hub.time(d.failed_at)],
    ["recorded at", Hub.time(d.created_at)], ["status since", since(d)],
    ["status reason", d.status_reason || "–"],
    ["re-driven to", d.redriven_to ? JSON.stringify(d.redriven_to) : "–"],
    ["re-drive of", d.redrive_of ? link(d.redrive_of) : "–"],
    ["next letter", d.next_letter ? link(d.next_letter) : "–"],
  ];
  const t = el("table");
  rows.forEach(([name, value]) => {
    const tr = el("tr"); tr.appendChild(el("th", name));
    const td = el("td");
    if (name === "status") {
      td.appendChild(el("span", d.status, "badge " + (STATUS_KIND[d.status] || "warn")));
      td.id = "letter-status";
    } else if (value instanceof Node) { td.appendChild(value); } else { td.textContent = value; }
    tr.appendChild(td); t.appendChild(tr);
  });
  return t;
}

function history(rows) {
  const t = el("table");
  const head = el("tr");
  ["at", "who", "what", "reason", "detail"].forEach((h) => head.appendChild(el("th", h)));
  t.appendChild(head);
  rows.forEach((h) => {
    const tr = el("tr");
    const at = el("td"); at.append(Hub.time(h.at)); tr.appendChild(at);
    [h.actor, h.action, h.reason || "–", h.detail ? JSON.stringify(h.detail) : "–"]
      .forEach((v) => tr.appendChild(el("td", v)));
    t.appendChild(tr);
  });
  if (!rows.length) { const tr = el("tr"); const td = el("td", "none yet", "muted");
    td.colSpan = 5; tr.appendChild(td); t.appendChild(tr); }
  return t;
}

async function load() {
  const d = await api("/api/dead-letters/one?id=" + encodeURIComponent(letterId));
  document.getElementById("letter").replaceChildren(fields(d));
  document.getElementById("history").replaceChildren(history(d.history));
  document.getElementById("original").textContent = JSON.stringify(d.original, null, 2);
  document.getElementById("redrive").disabled = !d.actions.redrive;
  document.getElementById("resolve").disabled = !d.actions.resolve;
  document.getElementById("redrive-to").textContent = !d.actions.resolve ? "Settled."
    : (d.actions.redrive_to ? "A re-drive goes to " + d.actions.redrive_to + "."
      : (d.actions.redrive_refused || ""));
  document.getElementById("unseal").hidden = !(d.actions.unseal && me.role === "admin");
  return d;
}

async function act(path, extra) {
  const out = document.getElementById("action-result");
  try {
    const body = await api(path, {method: "POST", body: JSON.stringify({
      ids: [letterId], id: letterId, reason: document.getElementById("reason").value,
      ...extra})});
    out.textContent = body.redriven ? "Re-driven: " + body.redriven.length
      : (body.resolved ? "Resolved: " + body.resolved.length : "Done");
    if (body.original) {
      document.getElementById("original").textContent = JSON.stringify(body.original, null, 2);
      document.querySelector("#sec-original h2").textContent = "Original (unsealed, audited)";
    }
  } catch (err) { out.textContent = "Refused: " + err.message; }
  if (!path.endsWith("/unseal")) { await load(); }
}

let me = {};
document.addEventListener("DOMContentLoaded", async () => {
  me = await api("/api/me");
  document.getElementById("who").textContent = me.name + " (" + me.role + ")";
  document.getElementById("redrive").addEventListener("click",
    () => act("/api/dead-letters/redrive", {}));
  document.getElementById("resolve").addEventListener("click",
    () => act("/api/dead-letters/resolve", {}));
  document.getElementById("unseal").addEventListener("click",
    () => act("/api/dead-letters/unseal", {}));
  try { await load(); } catch (err) {
    document.getElementById("status").textContent = "Not found: " + err.message;
  }
  setInterval(() => load().catch(() => {}), 5000);
});
