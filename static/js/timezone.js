/* The viewer's timezone, one mechanism for the console and the help center alike.
   The server reads one cookie (reports/middleware.py) and says in <meta name="reportdesk-timezone">
   which zone it rendered and whether the cookie gave it. The browser's zone is written only when
   the server knew none: a zone picked in the console is never overwritten by a guess. */
(function () {
  "use strict";
  var meta = document.querySelector('meta[name="reportdesk-timezone"]');

  function browserZone() {
    try {
      var zone = Intl.DateTimeFormat().resolvedOptions().timeZone || "";
      return /^[A-Za-z0-9_+\-\/]{1,64}$/.test(zone) ? zone : "";
    } catch (error) {
      return "";
    }
  }

  function readCookie(name) {
    var parts = document.cookie ? document.cookie.split("; ") : [];
    for (var i = 0; i < parts.length; i++) {
      var eq = parts[i].indexOf("=");
      if (parts[i].slice(0, eq) === name) return parts[i].slice(eq + 1);
    }
    return null;
  }

  var zone = browserZone();
  if (meta && zone && meta.getAttribute("data-known") !== "true") {
    var name = meta.getAttribute("data-cookie");
    var secure = window.location.protocol === "https:" ? "; secure" : "";
    // Written as is (IANA names need no encoding): the server reads exactly this value.
    document.cookie = name + "=" + zone + "; path=/; max-age=31536000; samesite=lax" + secure;
    var stored = readCookie(name) === zone; // false when cookies are off: never reload in a loop
    if (stored && zone !== meta.getAttribute("content") && meta.getAttribute("data-reload") === "true") {
      window.location.reload();
    }
  }

  // A form's hint for the e-mail's times, should the cookie not be kept.
  document.addEventListener("DOMContentLoaded", function () {
    var hint = (meta && meta.getAttribute("data-known") === "true" && meta.getAttribute("content")) || zone;
    document.querySelectorAll('input[name="tz"]').forEach(function (input) { input.value = hint; });
  });
})();
