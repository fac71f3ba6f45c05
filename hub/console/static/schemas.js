"use strict";
// Schemas: per topic the key and value schema, locked versions, fields with docs, compatibility.

function schemaBlock(title, s) {
  const sec = Hub.section(title + ": " + s.name.split(".").pop(), "schema-" + title.toLowerCase());
  sec.appendChild(Hub.el("p", s.doc, "muted"));
  const ok = s.problems.length === 0;
  const status = Hub.el("p");
  status.append(Hub.badge(s.compatibility, ok ? "ok" : "bad"), " ",
    Hub.badge(s.locked ? "current version locked" : "current file not locked", s.locked ? "ok" : "warn"),
    " " + s.source);
  sec.appendChild(status);
  s.problems.forEach((p) => sec.appendChild(Hub.el("p", p, "bad")));
  sec.appendChild(Hub.table([
    {title: "version", value: (r) => r.version, num: true}, {title: "id", value: (r) => r.id, num: true},
    {title: "fingerprint", value: (r) => r.fingerprint.slice(0, 16) + "…", cls: "key"},
    {title: "", value: (r) => (r.current ? Hub.badge("current", "ok") : "")},
  ], s.versions, null, "Versions"));
  sec.appendChild(Hub.table([
    {title: "field", value: (r) => r.path, cls: "key"}, {title: "type", value: (r) => r.type},
    {title: "default", value: (r) => (r.has_default ? JSON.stringify(r.default) : "–")},
    {title: "doc", value: (r) => r.doc, cls: "doc"},
  ], s.fields, null, "Fields"));
  return sec;
}

Hub.pages.schemas = async function (view, params) {
  view.appendChild(Hub.el("h2", "Schemas", "page-title"));
  const declared = await Hub.api("/api/topics");
  const topic = params.get("topic") || declared.topics[0].topic;
  const pick = Hub.select("schema-topic", "Topic", declared.topics.map((t) => [t.topic, t.topic]), topic);
  pick.querySelector("select").addEventListener("change", () =>
    Hub.go("/schemas", {topic: Hub.value("schema-topic")}));
  view.appendChild(pick);
  const body = await Hub.api("/api/topics/" + encodeURIComponent(topic) + "/schema");
  view.append(schemaBlock("Value", body.value), schemaBlock("Key", body.key));
};
