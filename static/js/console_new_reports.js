/* "N new reports, show them" on the User reports list (docs/CONSOLE.md).

   #new-reports carries what to poll (data-new-count-url: the list's filters and the report at
   its top) only on the first page sorted newest first, where new reports arrive; the server
   leaves the attributes off otherwise and nothing polls. Every data-poll-seconds (30 by
   default) while the tab is visible, a bounded COUNT answers; the notice floats over the list
   so the rows under the cursor never move, and "show them" reloads the list at its top. */
(function () {
  "use strict";

  var timer = null;

  function region() {
    var el = document.getElementById("new-reports");
    return el && el.getAttribute("data-new-count-url") ? el : null;
  }

  function schedule() {
    window.clearTimeout(timer);
    timer = null;
    var el = region();
    if (!el || document.hidden) return;
    var seconds = parseFloat(el.getAttribute("data-poll-seconds")) || 30;
    timer = window.setTimeout(poll, Math.max(seconds, 0.5) * 1000);
  }

  function label(data) {
    if (data.count === 1) return "1 new report, show it";
    return data.display + " new reports, show them";
  }

  function show(el, data) {
    if (!data || typeof data.count !== "number") return;
    var text = data.count > 0 ? label(data) : "";
    var current = el.querySelector("[data-show-new]");
    if ((current ? current.textContent : "") === text) return; // announced once per change
    el.textContent = "";
    if (!text) return;
    var button = document.createElement("button");
    button.type = "button";
    button.className = "link";
    button.setAttribute("data-show-new", "");
    button.textContent = text;
    el.appendChild(button);
  }

  function poll() {
    timer = null;
    var el = region();
    if (!el || document.hidden) return;
    var stop = false;
    window
      .fetch(el.getAttribute("data-new-count-url"), {
        credentials: "same-origin",
        headers: { Accept: "application/json" },
        redirect: "error", // signed out: the sign-in page is no count
      })
      .then(function (response) {
        if (!response.ok) {
          stop = true; // signed out, removed from the team: the list's next load says so
          return null;
        }
        return response.json();
      })
      .then(function (data) {
        if (region() === el && data) show(el, data);
      })
      .catch(function () {
        /* offline for a moment: try again at the next tick */
      })
      .then(function () {
        if (!stop && region() === el) schedule();
      });
  }

  function showThem(el) {
    var url = el.getAttribute("data-list-url");
    if (!url || !window.htmx) {
      window.location.reload();
      return;
    }
    window.htmx.ajax("GET", url, { target: "#results", swap: "outerHTML" }).then(function () {
      var results = document.getElementById("results");
      if (results) results.scrollIntoView({ block: "start" });
      var first = document.querySelector("[data-report-row] a[href]");
      if (first) first.focus({ preventScroll: true });
    });
  }

  document.addEventListener("click", function (event) {
    var button = event.target && event.target.closest && event.target.closest("[data-show-new]");
    if (!button) return;
    var el = button.closest("#new-reports");
    if (el) showThem(el);
  });

  document.addEventListener("visibilitychange", function () {
    if (document.hidden) {
      window.clearTimeout(timer);
      timer = null;
    } else if (region()) {
      poll(); // back on the tab: ask now, then every interval again
    }
  });

  // The list was filtered, sorted or paged (htmx swapped #results): poll for that list.
  document.addEventListener("htmx:load", function (event) {
    var elt = event.detail && event.detail.elt;
    if (elt && elt.id === "results") schedule();
  });
  document.addEventListener("DOMContentLoaded", schedule);
})();
