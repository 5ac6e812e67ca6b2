// faqbot console: progressive additions only; every page works without this script.
"use strict";

// Replace a list's contents with the server's fresh fragment every few seconds.
function refreshEvery(element) {
  const url = element.dataset.refreshUrl;
  const seconds = Number(element.dataset.refreshSeconds) || 3;
  let busy = false;
  async function refresh() {
    if (busy || document.hidden) return;
    busy = true;
    try {
      const response = await fetch(url, {
        headers: { "X-Requested-With": "fetch" },
        credentials: "same-origin",
        cache: "no-store",
      });
      if (response.status === 401) {
        window.location.reload(); // signed out: the page leads to the login form
        return;
      }
      if (!response.ok) return;
      // Parsed inertly the way the page was: an unchanged list compares equal, and its
      // photos are not fetched from the messenger again.
      const fresh = document.createElement("template");
      fresh.innerHTML = await response.text();
      if (fresh.innerHTML.trim() !== element.innerHTML.trim()) {
        const before = new Set([...element.querySelectorAll("[data-ticket]")].map((e) => e.dataset.ticket));
        element.replaceChildren(fresh.content);
        for (const row of element.querySelectorAll("[data-ticket]")) {
          if (!before.has(row.dataset.ticket)) row.classList.add("fresh");
        }
        element.dispatchEvent(new CustomEvent("refreshed"));
      }
    } catch (error) {
      // Offline for a moment: try again at the next tick.
    } finally {
      busy = false;
    }
  }
  window.setInterval(refresh, seconds * 1000);
}

document.addEventListener("DOMContentLoaded", () => {
  for (const element of document.querySelectorAll("[data-refresh-url]")) refreshEvery(element);
  for (const form of document.querySelectorAll("form[data-confirm]")) {
    form.addEventListener("submit", (event) => {
      if (!window.confirm(form.dataset.confirm)) event.preventDefault();
    });
  }
  // A sent form cannot be sent twice by a double click.
  for (const form of document.querySelectorAll("form[method=post]")) {
    form.addEventListener("submit", (event) => {
      if (event.defaultPrevented) return;
      for (const button of form.querySelectorAll("button")) button.disabled = true;
    });
  }
});
