"use strict";
// Case page: look up by case reference (admins also by BSN, with a reason): readable view,
// residences, timeline of facts, decisions with reason codes, signals, effect ledger, raw JSON.

function lookupForm(ref) {
  const form = Hub.el("form", null, "toolbar");
  form.id = "case-form";
  form.appendChild(Hub.input("case-ref", "Case reference", ref || "", {size: 36, placeholder: "CR…"}));
  const go = Hub.el("button", "Look up", "primary");
  go.type = "submit";
  go.id = "lookup";
  form.appendChild(go);
  form.addEventListener("submit", (ev) => { ev.preventDefault(); Hub.go("/case", {ref: Hub.value("case-ref")}); });
  return form;
}

function bsnForm() {
  const form = Hub.el("form", null, "toolbar admin-only");
  form.id = "bsn-form";
  form.append(Hub.input("bsn", "BSN (admin)", "", {size: 11, inputmode: "numeric", autocomplete: "off"}),
    Hub.input("bsn-reason", "Reason", "", {size: 28}));
  const go = Hub.el("button", "Find by BSN");
  go.type = "submit";
  const out = Hub.el("span");
  out.id = "bsn-result";
  form.append(go, out);
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    try {
      const found = await Hub.post("/api/cases/by-bsn", {bsn: Hub.value("bsn"), reason: Hub.value("bsn-reason")});
      document.getElementById("bsn").value = "";
      Hub.go("/case", {ref: found.case_ref});
    } catch (err) { out.textContent = "Refused: " + err.message; }
  });
  return form;
}

function pairs(items) {
  const dl = Hub.el("dl", null, "pairs");
  items.forEach((p) => {
    dl.appendChild(Hub.el("dt", p.label));
    const dd = Hub.el("dd");
    const v = p.value;
    if (typeof v === "string" && /^\d{4}-\d\d-\d\dT/.test(v)) { dd.appendChild(Hub.time(v)); }
    else { dd.textContent = typeof v === "object" ? JSON.stringify(v) : String(v); }
    dl.appendChild(dd);
  });
  return dl;
}

function caseSections(page) {
  const out = [];
  const fields = Hub.section("Case " + page.case_ref, "case-fields");
  if (page.gemeenten.length) {
    fields.appendChild(Hub.el("p", "Shown for gemeente " + page.gemeenten.join(", ") +
      (page.hidden_facts ? " · " + page.hidden_facts + " fact(s) of other periods hidden" : ""), "muted"));
  }
  fields.appendChild(pairs(page.fields));
  out.push(fields);
  const homes = Hub.section("Residences", "case-residences");
  homes.appendChild(Hub.table([{title: "gemeente", value: (r) => r.gemeentecode},
    {title: "from", value: (r) => r.vanaf}, {title: "until", value: (r) => r.tot || "–"}], page.residences));
  out.push(homes);
  const timeline = Hub.section("Timeline of facts", "case-timeline");
  const list = Hub.el("ol", null, "timeline");
  page.timeline.forEach((t) => {
    const li = Hub.el("li");
    const head = Hub.el("p");
    head.append(Hub.time(t.at), " ", Hub.el("strong", t.kind), " ", Hub.el("span", t.source, "muted"));
    const d = Hub.el("details");
    d.append(Hub.el("summary", t.fields.length + " field(s)"), pairs(t.fields));
    li.append(head, d);
    list.appendChild(li);
  });
  timeline.appendChild(list);
  out.push(timeline);
  const decisions = Hub.section("Decisions", "case-decisions");
  decisions.appendChild(Hub.table([
    {title: "invoice", value: (r) => (r.factuurnummer || "–") + (r.regelnummer ? " / " + r.regelnummer : "")},
    {title: "service date", value: (r) => r.dienstdatum},
    {title: "decision", value: (r) => Hub.badge(r.beslissing, r.beslissing === "goedgekeurd" ? "ok" : "warn")},
    {title: "reason code", value: (r) => r.reden, cls: "key"}, {title: "rule", value: (r) => r.regel},
    {title: "explanation", value: (r) => r.toelichting},
    {title: "approved €", value: (r) => (r.goedgekeurd_cent == null ? "–" : (r.goedgekeurd_cent / 100).toFixed(2)), num: true},
  ], page.decisions));
  out.push(decisions);
  const signals = Hub.section("Signals", "case-signals");
  signals.appendChild(Hub.table([{title: "type", value: (r) => r.type}, {title: "rule", value: (r) => r.regel},
    {title: "gemeente", value: (r) => r.gemeentecode}, {title: "since", value: (r) => r.vastgesteld_op},
    {title: "due", value: (r) => r.uiterlijk || "–"}, {title: "explanation", value: (r) => r.toelichting}],
  page.signals));
  out.push(signals);
  const ledger = Hub.section("Effect ledger", "case-ledger");
  if (!page.effect_ledger.entries.length) {
    ledger.appendChild(Hub.el("p", "Nothing sent for this case yet.", "muted"));
  } else {
    ledger.appendChild(Hub.table([
      {title: "effect", value: (r) => r.effect, cls: "key"}, {title: "seq", value: (r) => r.seq, num: true},
      {title: "kind", value: (r) => r.soort}, {title: "state", value: (r) => r.staat},
      {title: "amount €", value: (r) => (r.bedrag_cent == null ? "–" : (r.bedrag_cent / 100).toFixed(2)), num: true},
      {title: "refers to", value: (r) => r.verwijst_naar || "–", cls: "key"},
      {title: "reason", value: (r) => r.reden}, {title: "sent", value: (r) => Hub.time(r.verzonden_op)},
    ], page.effect_ledger.entries));
  }
  out.push(ledger);
  const raw = Hub.section("Raw JSON", "case-raw");
  const toggle = Hub.button("Show raw JSON", () => {
    box.hidden = !box.hidden;
    toggle.textContent = box.hidden ? "Show raw JSON" : "Hide raw JSON";
    toggle.setAttribute("aria-expanded", String(!box.hidden));
  });
  toggle.id = "raw-toggle";
  toggle.setAttribute("aria-expanded", "false");
  const box = Hub.json(page.raw);
  box.id = "raw-json";
  box.hidden = true;
  raw.append(toggle, box);
  out.push(raw);
  return out;
}

Hub.pages.case = async function (view, params) {
  view.appendChild(Hub.el("h2", "Case", "page-title"));
  const ref = params.get("ref");
  view.appendChild(lookupForm(ref));
  if (Hub.me.role === "admin") { view.appendChild(bsnForm()); }
  if (!ref) { return; }
  try {
    const page = await Hub.api("/api/cases/" + encodeURIComponent(ref));
    view.append(...caseSections(page));
  } catch (err) { view.appendChild(Hub.el("p", err.message, "bad")); }
};
