"use strict";
// The router: #/<page>?<params> -> Hub.pages[<page>](view, params). Pages render into #view and
// may register refresh timers (Hub.every), which are cleared on every navigation.

async function route() {
  Hub.timers.forEach(clearInterval);
  Hub.timers = [];
  const {path, params} = Hub.query();
  const name = path.replace(/^\//, "").split("/")[0] || "overview";
  const page = Hub.pages[name] || Hub.pages.overview;
  document.querySelectorAll("#nav a").forEach((a) => {
    if (a.dataset.page === name) { a.setAttribute("aria-current", "page"); }
    else { a.removeAttribute("aria-current"); }
  });
  const view = document.getElementById("view");
  view.replaceChildren();
  view.dataset.page = name;
  try {
    await page(view, params);
  } catch (err) {
    if (err.message !== "login") { view.appendChild(Hub.el("p", "Failed: " + err.message, "bad")); }
  }
}

document.addEventListener("DOMContentLoaded", async () => {
  Hub.me = await Hub.api("/api/me");
  const scope = Hub.me.gemeenten && Hub.me.gemeenten.length
    ? " · gemeente " + Hub.me.gemeenten.join(", ") : "";
  document.getElementById("who").textContent = Hub.me.name + " (" + Hub.me.role + ")" + scope;
  document.getElementById("nav-audit").hidden = Hub.me.role !== "admin";
  document.getElementById("logout").addEventListener("click", async () => {
    await Hub.post("/api/logout", {});
    window.location.assign("/login");
  });
  window.addEventListener("hashchange", route);
  await route();
});
