"use strict";
// Shared helpers of the console pages. Every value is written with textContent: nothing that
// came from a message, a partner or a user becomes HTML.

const Hub = {pages: {}, me: {}, timers: []};

Hub.csrf = function () {
  const found = document.cookie.split("; ").find((c) => c.startsWith("hub_csrf="));
  return found ? decodeURIComponent(found.slice("hub_csrf=".length)) : "";
};

Hub.api = async function (path, options = {}) {
  const init = {credentials: "same-origin", ...options};
  if (init.method && init.method !== "GET") {
    init.headers = {"Content-Type": "application/json", "X-CSRF-Token": Hub.csrf()};
  }
  const reply = await fetch(path, init);
  if (reply.status === 401) { window.location.assign("/login"); throw new Error("login"); }
  const body = await reply.json().catch(() => ({}));
  if (!reply.ok) { throw new Error(body.error || ("HTTP " + reply.status)); }
  return body;
};

Hub.post = (path, body) => Hub.api(path, {method: "POST", body: JSON.stringify(body)});

Hub.el = function (tag, text, cls) {
  const node = document.createElement(tag);
  if (text !== undefined && text !== null) { node.textContent = String(text); }
  if (cls) { node.className = cls; }
  return node;
};

Hub.link = function (text, href, cls) {
  const a = Hub.el("a", text, cls);
  a.href = href;
  return a;
};

Hub.badge = (text, kind) => Hub.el("span", text, "badge " + kind);

Hub.button = function (text, onClick, cls) {
  const b = Hub.el("button", text, cls);
  b.type = "button";
  b.addEventListener("click", onClick);
  return b;
};

Hub.input = function (id, label, value, attrs = {}) {
  const wrap = Hub.el("label", null, "field");
  wrap.appendChild(Hub.el("span", label));
  const box = document.createElement(attrs.tag || "input");
  box.id = id;
  Object.entries(attrs).forEach(([k, v]) => { if (k !== "tag") { box.setAttribute(k, v); } });
  if (value !== undefined && value !== null) { box.value = value; }
  wrap.appendChild(box);
  return wrap;
};

Hub.select = function (id, label, options, value) {
  const wrap = Hub.input(id, label, null, {tag: "select"});
  const box = wrap.querySelector("select");
  options.forEach((o) => box.appendChild(new Option(o[1], o[0])));
  if (value !== undefined) { box.value = value; }
  return wrap;
};

Hub.value = (id) => (document.getElementById(id) || {value: ""}).value.trim();

const AMS = new Intl.DateTimeFormat("nl-NL", {timeZone: "Europe/Amsterdam", year: "numeric",
  month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", second: "2-digit"});

// A moment as Europe/Amsterdam time, with the UTC moment on hover and in datetime=.
Hub.time = function (value) {
  if (value === null || value === undefined || value === "") { return "–"; }
  const at = typeof value === "number" ? new Date(value) : new Date(value);
  if (Number.isNaN(at.getTime())) { return String(value); }
  const node = Hub.el("time", AMS.format(at));
  node.dateTime = at.toISOString();
  node.title = "UTC " + at.toISOString().replace("T", " ").slice(0, 19);
  return node;
};

Hub.table = function (columns, rows, rowClass, caption) {
  const wrap = Hub.el("div", null, "table-wrap");
  const t = Hub.el("table");
  if (caption) { t.appendChild(Hub.el("caption", caption)); }
  const head = Hub.el("tr");
  columns.forEach((c) => { const th = Hub.el("th", c.title); th.scope = "col";
    if (c.num) { th.className = "num"; } head.appendChild(th); });
  const thead = Hub.el("thead"); thead.appendChild(head); t.appendChild(thead);
  const body = Hub.el("tbody");
  rows.forEach((row) => {
    const tr = Hub.el("tr", null, rowClass ? rowClass(row) : "");
    columns.forEach((c) => {
      const td = Hub.el("td", null, (c.num ? "num " : "") + (c.cls || ""));
      td.dataset.label = c.title;
      const value = c.value(row);
      if (value instanceof Node) { td.appendChild(value); } else { td.textContent = value ?? "–"; }
      tr.appendChild(td);
    });
    body.appendChild(tr);
  });
  if (!rows.length) { const tr = Hub.el("tr"); const td = Hub.el("td", "none", "muted");
    td.colSpan = columns.length; tr.appendChild(td); body.appendChild(tr); }
  t.appendChild(body);
  wrap.appendChild(t);
  return wrap;
};

Hub.section = function (title, id) {
  const s = Hub.el("section");
  if (id) { s.id = id; }
  s.appendChild(Hub.el("h2", title));
  return s;
};

Hub.json = function (value) {
  const pre = Hub.el("pre", JSON.stringify(value, null, 2), "json");
  pre.tabIndex = 0;
  return pre;
};

Hub.short = function (value) {
  const text = JSON.stringify(value);
  return text && text.length > 160 ? text.slice(0, 157) + "…" : text;
};

Hub.status = function (text, kind) {
  const box = document.getElementById("status");
  box.textContent = text;
  box.className = kind || "muted";
};

Hub.every = function (ms, fn) { Hub.timers.push(setInterval(fn, ms)); };

Hub.query = function () {
  const hash = window.location.hash.slice(1);
  const [path, search] = hash.split("?");
  return {path: path || "/overview", params: new URLSearchParams(search || "")};
};

Hub.go = function (path, params) {
  const search = params ? new URLSearchParams(params).toString() : "";
  window.location.hash = path + (search ? "?" + search : "");
};
