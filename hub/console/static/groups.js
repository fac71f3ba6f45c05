"use strict";
// Consumer groups: lag per group; per group its members, per-partition lag and the offset
// reset (operators without a gemeente limit), previewed as a dry run before it is applied.

function movesTable(body) {
  return Hub.table([
    {title: "topic", value: (r) => r.topic}, {title: "partition", value: (r) => r.partition, num: true},
    {title: "committed", value: (r) => r.old, num: true}, {title: "new", value: (r) => r.new, num: true},
    {title: "end", value: (r) => r.end, num: true}, {title: "lag after", value: (r) => r.lag_after, num: true},
  ], body.moves, null, body.dry_run ? "Dry run: nothing written" : "Reset applied");
}

function resetForm(group, detail) {
  const sec = Hub.section("Reset offsets", "reset");
  const mayReset = Hub.me.role !== "viewer" && !(Hub.me.gemeenten || []).length;
  if (!mayReset) {
    sec.appendChild(Hub.el("p", "Only operators without a gemeente limit may reset offsets.", "muted"));
  }
  const topicsOf = [...new Set(detail.partitions.map((p) => p.topic))];
  const form = Hub.el("div", null, "toolbar");
  form.append(
    Hub.select("r-spec", "To", [["earliest", "earliest"], ["latest", "latest (true end)"],
      ["timestamp", "a time"], ["offset", "an offset"]], "latest"),
    Hub.input("r-value", "Time or offset", "", {placeholder: "2026-12-03T10:00:00+01:00 or 42", size: 24}),
    Hub.select("r-topic", "Topic", [["", "every topic of the group"], ...topicsOf.map((t) => [t, t])], ""),
    Hub.input("r-partition", "Partition", "", {inputmode: "numeric", size: 4}),
    Hub.input("r-reason", "Reason", "", {size: 30, placeholder: "why (audited)"}));
  const out = Hub.el("div");
  out.id = "reset-result";
  const send = async (dry) => {
    const body = {spec: Hub.value("r-spec"), value: Hub.value("r-value") || null,
      topic: Hub.value("r-topic") || null, partition: Hub.value("r-partition") || null,
      reason: Hub.value("r-reason"), dry_run: dry};
    try {
      const done = await Hub.post("/api/groups/" + encodeURIComponent(group) + "/reset", body);
      const note = done.active_members ? Hub.el("p", "The group has " + done.active_members +
        " active member(s): a reset will be refused until they stop.", "warn") : "";
      out.replaceChildren(movesTable(done), note);
    } catch (err) { out.replaceChildren(Hub.el("p", "Refused: " + err.message, "bad")); }
  };
  const preview = Hub.button("Preview (dry run)", () => send(true));
  preview.id = "reset-preview";
  const apply = Hub.button("Reset", () => send(false), "danger");
  apply.id = "reset-apply";
  preview.disabled = apply.disabled = !mayReset;
  form.append(preview, apply);
  sec.append(form, out);
  return sec;
}

async function groupDetail(view, group) {
  view.appendChild(Hub.link("← all groups", "#/groups", "back"));
  const detail = await Hub.api("/api/groups/" + encodeURIComponent(group));
  const head = Hub.section(group, "group");
  head.appendChild(Hub.el("p", "State " + detail.state + " · " + detail.members.length +
    " member(s) · total lag " + detail.lag));
  head.appendChild(Hub.table([
    {title: "member", value: (r) => r.member_id}, {title: "client", value: (r) => r.client_id},
    {title: "host", value: (r) => r.host},
  ], detail.members, null, "Members"));
  head.appendChild(Hub.table([
    {title: "topic", value: (r) => Hub.link(r.topic, "#/topics?topic=" + encodeURIComponent(r.topic)
      + "&partition=" + r.partition + "&seek=offset&offset=" + (r.committed ?? 0))},
    {title: "partition", value: (r) => r.partition, num: true},
    {title: "committed", value: (r) => r.committed, num: true},
    {title: "end", value: (r) => r.end, num: true}, {title: "lag", value: (r) => r.lag, num: true},
  ], detail.partitions.filter((p) => p.end > 0 || p.committed), (r) => (r.lag > 0 ? "lagging" : ""),
  "Lag per partition"));
  view.append(head, resetForm(group, detail));
}

Hub.pages.groups = async function (view, params) {
  const group = params.get("group");
  if (group) { await groupDetail(view, group); return; }
  view.appendChild(Hub.el("h2", "Consumer groups", "page-title"));
  const sec = Hub.section("Groups", "group-list");
  const box = Hub.el("div");
  sec.appendChild(box);
  view.appendChild(sec);
  const draw = async () => {
    const body = await Hub.api("/api/groups");
    box.replaceChildren(Hub.table([
      {title: "group", value: (r) => Hub.link(r.group, "#/groups?group=" + encodeURIComponent(r.group))},
      {title: "state", value: (r) => (r.stalled ? Hub.badge("stalled", "bad")
        : (r.lag > 0 ? Hub.badge("catching up", "warn") : Hub.badge("caught up", "ok")))},
      {title: "partitions", value: (r) => r.partitions, num: true},
      {title: "total lag", value: (r) => r.lag, num: true},
    ], body.groups, (r) => (r.stalled ? "stalled" : "")));
  };
  await draw();
  Hub.every(5000, () => draw().catch(() => {}));
};
