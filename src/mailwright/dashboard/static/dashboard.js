// Mailwright dashboard: small progressive enhancement; every page works without it.
"use strict";

// <div data-poll="URL">: replaced every 2 s by the HTML fragment at URL, until it says data-final.
function poll(element) {
  const url = element.dataset.poll;
  const tick = async () => {
    if (element.querySelector("[data-final]")) return;
    try {
      const response = await fetch(url, { credentials: "same-origin", headers: { Accept: "text/html" } });
      if (response.ok) element.innerHTML = await response.text();
    } catch (error) {
      // Offline for a moment: try again at the next tick.
    }
    setTimeout(tick, 2000);
  };
  setTimeout(tick, 2000);
}

// A form marked data-once is sent once: a second click waits for the first (the server also
// answers a repeat of its idempotency key with the first order).
function once(form) {
  form.addEventListener("submit", (event) => {
    if (form.dataset.sent) { event.preventDefault(); return; }
    form.dataset.sent = "true";
    form.querySelectorAll("button[type=submit]").forEach((b) => { b.disabled = true; });
  });
}

// The one-time code's countdown; at zero the code is fetched again (a POST with the CSRF token).
function countdown(form) {
  const refresh = async () => {
    try {
      const response = await fetch(form.action, { method: "POST", body: new FormData(form), credentials: "same-origin" });
      if (response.ok) form.querySelector("#code").innerHTML = await response.text();
    } catch (error) {
      // Keep the old code shown; the next second tries again.
    }
  };
  form.addEventListener("submit", (event) => { event.preventDefault(); refresh(); });
  setInterval(() => {
    const counter = form.querySelector("[data-countdown]");
    if (!counter) return;
    const left = Number(counter.dataset.countdown) - 1;
    counter.dataset.countdown = String(left);
    counter.textContent = String(Math.max(left, 0));
    if (left === 0) refresh();
  }, 1000);
}

document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("[data-poll]").forEach(poll);
  document.querySelectorAll("form[data-once]").forEach(once);
  document.querySelectorAll("form[data-refresh-code]").forEach(countdown);
});
