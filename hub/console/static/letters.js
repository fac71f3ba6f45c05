"use strict";
// Dead letters: filters (status, source topic, error type, case, age, text), paged list with
// facets, re-drive of the selected ones; each row links to its detail page (issue 18).

const LETTER_FILTERS = ["status", "topic", "error_type", "case_ref", "newer_than_h", "q"];

function facetSelect(id, label, counts, value) {
  const options = [["", "any"], ...Object.entries(counts || {}).map(([k, n]) => [k, k + " (" + n + ")"])];
  return Hub.select(id, label, options, value || "");
}

function letterRows(rows, picked) {
  const kind = {pending: "bad", redriven: "warn", resolved: "ok", "failed-again": "bad", discarded: "ok"};
  return Hub.table([
    {title: "", value: (r) => { const box = Hub.el("input"); box.type = "checkbox";
      box.className = "pick"; box.value = r.letter_id; box.checked = picked.has(r.letter_id);
      box.setAttribute("aria-label", "select " + r.letter_id);
      box.addEventListener("change", () => (box.checked ? picked.add(r.letter_id) : picked.delete(r.letter_id)));
      return box; }},
    {title: "failed at", value: (r) => Hub.time(r.failed_at)},
    {title: "status", value: (r) => Hub.badge(r.status, kind[r.status] || "warn")},
    {title: "source", value: (r) => r.source_topic + " [" + r.source_partition + "] @" + r.source_offset},
    {title: "case", value: (r) => (r.case_ref ? Hub.link(r.case_ref, "#/case?ref=" + r.case_ref) : "–")},
    {title: "error", value: (r) => r.error_type + ": " + r.error_message},
    {title: "attempts", value: (r) => r.attempts, num: true},
    {title: "detail", value: (r) => Hub.link("open", "/static/dead-letter.html?id=" + encodeURIComponent(r.letter_id))},
  ], rows);
}

Hub.pages["dead-letters"] = async function (view, params) {
  view.appendChild(Hub.el("h2", "Dead letters", "page-title"));
  const q = new URLSearchParams();
  LETTER_FILTERS.forEach((k) => { if (params.get(k)) { q.set(k, params.get(k)); } });
  const offset = Number(params.get("offset") || 0);
  q.set("limit", "50");
  q.set("offset", String(offset));
  const body = await Hub.api("/api/dead-letters?" + q.toString());
  const form = Hub.el("form", null, "toolbar");
  form.id = "letter-filters";
  form.append(
    facetSelect("f-status", "Status", body.facets.statuses, params.get("status")),
    facetSelect("f-topic", "Source topic", body.facets.source_topics, params.get("topic")),
    facetSelect("f-error_type", "Error", body.facets.error_types, params.get("error_type")),
    Hub.input("f-case_ref", "Case ref", params.get("case_ref") || "", {size: 24}),
    Hub.input("f-newer_than_h", "Newer than (h)", params.get("newer_than_h") || "", {size: 4}),
    Hub.input("f-q", "Text in error", params.get("q") || "", {size: 16}));
  const apply = Hub.el("button", "Filter", "primary");
  apply.type = "submit";
  form.appendChild(apply);
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    const next = {};
    LETTER_FILTERS.forEach((k) => { const v = Hub.value("f-" + k); if (v) { next[k] = v; } });
    Hub.go("/dead-letters", next);
  });
  const picked = new Set();
  const actions = Hub.el("div", null, "toolbar");
  actions.append(Hub.input("reason", "Reason for the re-drive", "", {size: 36}));
  const result = Hub.el("span");
  result.id = "redrive-result";
  const go = Hub.button("Re-drive selected", async () => {
    try {
      const done = await Hub.post("/api/dead-letters/redrive", {ids: [...picked], reason: Hub.value("reason")});
      result.textContent = "Re-driven: " + done.redriven.length;
    } catch (err) { result.textContent = "Refused: " + err.message; }
  });
  go.id = "redrive";
  actions.append(go, result);
  const list = Hub.section(body.total + " dead letter(s)", "letter-list");
  list.append(actions, letterRows(body.dead_letters, picked));
  const pager = Hub.el("p", null, "toolbar");
  if (offset > 0) { pager.appendChild(Hub.link("← newer", "#/dead-letters?" + new URLSearchParams(
    {...Object.fromEntries(q), offset: String(Math.max(0, offset - 50))}).toString())); }
  if (offset + 50 < body.total) { pager.appendChild(Hub.link("older →", "#/dead-letters?" +
    new URLSearchParams({...Object.fromEntries(q), offset: String(offset + 50)}).toString())); }
  list.appendChild(pager);
  view.append(form, list);
};
