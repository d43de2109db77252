/* The developer console: timezone detection, "select all", focus after HTMX swaps.
   Everything here is an enhancement: the console works with links and forms alone. */
(function () {
  "use strict";
  var COOKIE = "reportdesk_tz";

  function readCookie(name) {
    var parts = document.cookie ? document.cookie.split("; ") : [];
    for (var i = 0; i < parts.length; i++) {
      var eq = parts[i].indexOf("=");
      if (parts[i].slice(0, eq) === name) return parts[i].slice(eq + 1);
    }
    return null;
  }

  // Remember the browser's timezone once; a timezone picked in the console is never overridden.
  function detectTimezone() {
    if (readCookie(COOKIE)) return;
    var zone = null;
    try {
      zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    } catch (error) {
      return;
    }
    if (!zone || !/^[A-Za-z0-9_+\-\/]{1,64}$/.test(zone)) return;
    var secure = window.location.protocol === "https:" ? "; secure" : "";
    document.cookie = COOKIE + "=" + zone + "; path=/; max-age=31536000; samesite=lax" + secure;
    var note = document.querySelector("[data-viewer-timezone]");
    if (note && note.getAttribute("data-viewer-timezone") !== zone) window.location.reload();
  }

  function revealEnhancements(root) {
    var hidden = (root || document).querySelectorAll("[data-js-only]");
    for (var i = 0; i < hidden.length; i++) hidden[i].hidden = false;
  }

  document.addEventListener("change", function (event) {
    var box = event.target;
    if (!box.matches || !box.matches("[data-select-all]")) return;
    var rows = document.querySelectorAll('input[name="selected"][form="bulk-form"]');
    for (var i = 0; i < rows.length; i++) rows[i].checked = box.checked;
  });

  document.addEventListener("DOMContentLoaded", function () {
    detectTimezone();
    revealEnhancements(document);
  });
  document.addEventListener("htmx:load", function (event) {
    revealEnhancements(event.detail.elt);
  });
})();
