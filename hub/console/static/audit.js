"use strict";
// Audit trail (admins): filter by actor, action, entity and date; pages; CSV download.

const AUDIT_FILTERS = ["actor", "action", "entity", "entity_id", "since", "until"];

Hub.pages.audit = async function (view, params) {
  view.appendChild(Hub.el("h2", "Audit trail", "page-title"));
  const form = Hub.el("form", null, "toolbar");
  form.id = "audit-filters";
  form.append(
    Hub.input("a-actor", "Actor", params.get("actor") || "", {size: 14}),
    Hub.input("a-action", "Action", params.get("action") || "", {size: 18, placeholder: "e.g. case. or bsn.unmask"}),
    Hub.input("a-entity", "Entity", params.get("entity") || "", {size: 12}),
    Hub.input("a-entity_id", "Entity id", params.get("entity_id") || "", {size: 18}),
    Hub.input("a-since", "From", params.get("since") || "", {type: "date"}),
    Hub.input("a-until", "Before", params.get("until") || "", {type: "date"}));
  const apply = Hub.el("button", "Filter", "primary");
  apply.type = "submit";
  form.appendChild(apply);
  const q = new URLSearchParams();
  AUDIT_FILTERS.forEach((k) => { if (params.get(k)) { q.set(k, params.get(k)); } });
  if (params.get("before_id")) { q.set("before_id", params.get("before_id")); }
  const csv = Hub.link("Download CSV", "/api/audit?" + new URLSearchParams({...Object.fromEntries(q),
    format: "csv", limit: "5000"}).toString(), "button");
  csv.id = "audit-csv";
  csv.setAttribute("download", "audit.csv");
  form.appendChild(csv);
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    const next = {};
    AUDIT_FILTERS.forEach((k) => { const v = Hub.value("a-" + k); if (v) { next[k] = v; } });
    Hub.go("/audit", next);
  });
  view.appendChild(form);
  let body;
  try { body = await Hub.api("/api/audit?" + q.toString()); } catch (err) {
    view.appendChild(Hub.el("p", "Refused: " + err.message, "bad"));
    return;
  }
  const sec = Hub.section(body.rows.length + " row(s), newest first", "audit-rows");
  sec.appendChild(Hub.table([
    {title: "at", value: (r) => Hub.time(r.at)}, {title: "actor", value: (r) => r.actor},
    {title: "action", value: (r) => r.action}, {title: "entity", value: (r) => r.entity},
    {title: "id", value: (r) => (r.entity === "case" ? Hub.link(r.entity_id, "#/case?ref=" + r.entity_id)
      : r.entity_id), cls: "key"},
    {title: "reason", value: (r) => r.reason},
    {title: "change", value: (r) => (r.old || r.new ? Hub.short({old: r.old, new: r.new}) : "–"), cls: "value"},
  ], body.rows));
  if (body.next_before_id && body.rows.length >= 200) {
    sec.appendChild(Hub.link("older →", "#/audit?" + new URLSearchParams({...Object.fromEntries(q),
      before_id: String(body.next_before_id)}).toString()));
  }
  view.appendChild(sec);
};
