"use strict";
// Reports: the nightly reports to download (a user limited to gemeenten: only theirs), and
// today's report made for one gemeente on request.

Hub.pages.reports = async function (view) {
  view.appendChild(Hub.el("h2", "Reports", "page-title"));
  const body = await Hub.api("/api/reports");
  const make = Hub.el("form", null, "toolbar");
  make.id = "report-form";
  const mine = body.gemeenten;
  make.appendChild(mine.length ? Hub.select("rep-gemeente", "Gemeente", mine.map((g) => [g, g]), mine[0])
    : Hub.input("rep-gemeente", "Gemeente (CBS code)", "", {size: 6, inputmode: "numeric"}));
  const go = Hub.el("button", "Make today's report", "primary");
  go.type = "submit";
  const out = Hub.el("span");
  out.id = "report-result";
  make.append(go, out);
  make.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    out.textContent = "making the report…";
    try {
      const done = await Hub.post("/api/reports/generate", {gemeente: Hub.value("rep-gemeente")});
      out.textContent = "Made " + done.files.length + " file(s)";
      Hub.go("/reports", {made: String(Date.now())});
    } catch (err) { out.textContent = "Refused: " + err.message; }
  });
  const sec = Hub.section(body.reports.length + " file(s)", "report-list");
  sec.appendChild(Hub.table([
    {title: "day", value: (r) => r.day},
    {title: "gemeente", value: (r) => r.gemeente || "all"},
    {title: "file", value: (r) => Hub.link(r.name, "/api/reports/file/" + encodeURIComponent(r.name)), cls: "key"},
    {title: "kind", value: (r) => r.kind},
    {title: "size", value: (r) => Math.ceil(r.bytes / 1024) + " KB", num: true},
  ], body.reports));
  view.append(make, sec);
};
