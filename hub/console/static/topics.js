"use strict";
// Topics: the declared topics with traffic; per topic the message browser (seek, filters,
// key/partition/offset/time/headers columns, decoded and masked values, pages).

function topicList(view, snap, declared) {
  const traffic = Object.fromEntries(snap.topics.map((t) => [t.topic, t]));
  const rows = declared.topics.map((t) => ({...t, ...(traffic[t.topic] || {messages: 0})}));
  const sec = Hub.section("Topics", "topic-list");
  const only = Hub.input("topic-filter", "Filter", "", {placeholder: "name contains…"});
  sec.appendChild(only);
  const box = Hub.el("div");
  sec.appendChild(box);
  const draw = () => {
    const text = Hub.value("topic-filter").toLowerCase();
    box.replaceChildren(Hub.table([
      {title: "topic", value: (r) => Hub.link(r.topic, "#/topics?topic=" + encodeURIComponent(r.topic))},
      {title: "direction", value: (r) => r.direction},
      {title: "messages", value: (r) => r.messages, num: true},
      {title: "msg/s", value: (r) => (r.rate_per_s == null ? "–" : r.rate_per_s.toFixed(2)), num: true},
      {title: "dead letters", value: (r) => snap.dead_letters[r.topic] || 0, num: true},
      {title: "schema", value: (r) => Hub.link(r.value_schema.split(".").pop(),
        "#/schemas?topic=" + encodeURIComponent(r.topic))},
    ], rows.filter((r) => r.topic.includes(text) && (text || r.direction !== "dead-letter"
      || r.messages > 0))));
  };
  only.querySelector("input").addEventListener("input", draw);
  view.appendChild(sec);
  draw();
}

function browserForm(spec, params) {
  const form = Hub.el("form", null, "toolbar");
  form.id = "browse-form";
  const parts = [["", "all partitions"]];
  for (let p = 0; p < spec.partitions; p += 1) { parts.push([String(p), "partition " + p]); }
  form.append(
    Hub.select("b-partition", "Partition", parts, params.get("partition") || ""),
    Hub.select("b-seek", "Start at", [["newest", "newest"], ["oldest", "oldest"],
      ["offset", "offset"], ["timestamp", "time"]], params.get("seek") || "newest"),
    Hub.input("b-offset", "Offset", params.get("offset") || "", {inputmode: "numeric", size: 8}),
    Hub.input("b-at", "Time", params.get("at") || "", {placeholder: "2026-12-03T10:00+01:00 or 2h",
      size: 22}),
    Hub.input("b-key", "Key / case ref", params.get("key") || "", {size: 24}),
    Hub.input("b-field", "Field = value", params.get("field") || "", {placeholder: "onderdeel=lezen",
      size: 18}),
    Hub.input("b-grep", "Text in value", params.get("grep") || "", {size: 16}),
    Hub.input("b-limit", "Per page", params.get("limit") || "50", {inputmode: "numeric", size: 4}));
  const go = Hub.el("button", "Show", "primary");
  go.type = "submit";
  go.id = "browse";
  form.appendChild(go);
  return form;
}

function formParams(topic) {
  const out = {topic};
  [["partition", "b-partition"], ["seek", "b-seek"], ["offset", "b-offset"], ["at", "b-at"],
    ["key", "b-key"], ["field", "b-field"], ["grep", "b-grep"], ["limit", "b-limit"]]
    .forEach(([k, id]) => { const v = Hub.value(id); if (v) { out[k] = v; } });
  return out;
}

function messageTable(rows) {
  return Hub.table([
    {title: "partition", value: (r) => r.partition, num: true},
    {title: "offset", value: (r) => r.offset, num: true},
    {title: "time", value: (r) => Hub.time(r.timestamp)},
    {title: "key", value: (r) => r.case_ref || Hub.short(r.key && (r.key.record || r.key)), cls: "key"},
    {title: "headers", value: (r) => r.headers.map((h) => h.key + "=" + h.value).join(", ") || "–"},
    {title: "value (decoded, masked)", cls: "value", value: (r) => {
      const d = Hub.el("details");
      const summary = Hub.el("summary", (r.value && r.value.schema ? r.value.schema.split(".").pop()
        + " " : "") + Hub.short(r.value && (r.value.record || r.value)));
      d.append(summary, Hub.json(r.value));
      return d;
    }},
  ], rows, null, "Messages");
}

function unmaskBar(topic, q, out) {
  const bar = Hub.el("div", null, "toolbar admin-only");
  bar.append(Hub.input("unmask-reason", "Reason to show BSNs (audited)", "", {size: 30}));
  const result = Hub.el("span");
  result.id = "unmask-result";
  const go = Hub.button("Show with BSNs", async () => {
    try {
      const body = await Hub.post("/api/topics/" + encodeURIComponent(topic) + "/messages/unmask?"
        + q.toString(), {reason: Hub.value("unmask-reason")});
      out.replaceChildren(messageTable(body.messages));
      result.textContent = "BSNs shown; this is in the audit trail";
    } catch (err) { result.textContent = "Refused: " + err.message; }
  });
  go.id = "unmask";
  bar.append(go, result);
  return bar;
}

async function browse(view, topic, params) {
  const declared = await Hub.api("/api/topics");
  const spec = declared.topics.find((t) => t.topic === topic);
  if (!spec) { view.appendChild(Hub.el("p", "Unknown topic " + topic, "bad")); return; }
  view.appendChild(Hub.link("← all topics", "#/topics", "back"));
  const sec = Hub.section(topic, "browser");
  sec.appendChild(Hub.el("p", spec.doc + " Value schema ", "muted"))
    .appendChild(Hub.link(spec.value_schema.split(".").pop(), "#/schemas?topic=" + encodeURIComponent(topic)));
  const form = browserForm(spec, params);
  sec.appendChild(form);
  const info = Hub.el("p", null, "muted");
  info.id = "browse-info";
  const out = Hub.el("div");
  out.id = "messages";
  sec.append(info, out);
  view.appendChild(sec);
  form.addEventListener("submit", (ev) => { ev.preventDefault(); Hub.go("/topics", formParams(topic)); });
  const q = new URLSearchParams(params);
  q.delete("topic");
  const body = await Hub.api("/api/topics/" + encodeURIComponent(topic) + "/messages?" + q.toString());
  const ranges = body.partitions.map((p) => p.partition + ": " + p.earliest + "–" + p.end).join(", ");
  info.textContent = body.messages.length + " shown of " + body.scanned + " read" +
    (body.hidden ? " (" + body.hidden + " of other gemeenten hidden)" : "") + " · offsets " + ranges;
  out.replaceChildren(messageTable(body.messages));
  if (Hub.me.role === "admin") { sec.insertBefore(unmaskBar(topic, q, out), info); }
  if (body.query.seek !== "newest" && body.messages.length) {
    const next = Hub.button("Next page", () => Hub.go("/topics", {...Object.fromEntries(params),
      seek: "offset", cursor: body.next}));
    next.id = "next-page";
    out.appendChild(next);
  }
}

Hub.pages.topics = async function (view, params) {
  const topic = params.get("topic");
  if (topic) { await browse(view, topic, params); return; }
  view.appendChild(Hub.el("h2", "Topics", "page-title"));
  const [snap, declared] = await Promise.all([Hub.api("/api/overview"), Hub.api("/api/topics")]);
  topicList(view, snap, declared);
};
