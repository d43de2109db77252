// Help center comfort: everything here is optional, the pages work without it.
(function () {
  "use strict";
  var TZ_COOKIE = "reportdesk_tz";

  function browserTimeZone() {
    try { return Intl.DateTimeFormat().resolvedOptions().timeZone || ""; } catch (e) { return ""; }
  }

  function rememberTimeZone(tz) {
    if (!tz) return;
    document.cookie = TZ_COOKIE + "=" + encodeURIComponent(tz) + "; path=/; max-age=31536000; samesite=lax";
    document.querySelectorAll('input[name="tz"]').forEach(function (input) { input.value = tz; });
  }

  // Show times in the reader's own timezone (the server rendered them in UTC or the cookie's zone).
  function localiseTimes(tz) {
    if (!tz) return;
    var format;
    try {
      format = new Intl.DateTimeFormat(document.documentElement.lang || undefined, {
        dateStyle: "medium", timeStyle: "short", timeZone: tz
      });
    } catch (e) { return; }
    document.querySelectorAll("time[data-local]").forEach(function (el) {
      var when = new Date(el.getAttribute("datetime"));
      if (!isNaN(when)) el.textContent = format.format(when) + " (" + tz + ")";
    });
    document.querySelectorAll("[data-tz-note]").forEach(function (el) { el.hidden = true; });
  }

  function characterCounters() {
    document.querySelectorAll("[data-counter-for]").forEach(function (counter) {
      var field = document.getElementById(counter.getAttribute("data-counter-for"));
      if (!field) return;
      var max = parseInt(field.getAttribute("maxlength"), 10);
      var template = counter.getAttribute("data-template") || "{n} / {max}";
      function update() {
        counter.textContent = template.replace("{n}", field.value.length).replace("{max}", max);
      }
      counter.hidden = false;
      field.addEventListener("input", update);
      update();
    });
  }

  function imagePreviews() {
    document.querySelectorAll("[data-previews-for]").forEach(function (box) {
      var input = document.getElementById(box.getAttribute("data-previews-for"));
      if (!input) return;
      input.addEventListener("change", function () {
        box.textContent = "";
        Array.prototype.slice.call(input.files || [], 0, 3).forEach(function (file) {
          if (!/^image\/(png|jpeg|webp)$/.test(file.type)) return;
          var img = document.createElement("img");
          img.alt = file.name;
          img.width = 120;
          img.src = URL.createObjectURL(file);
          box.appendChild(img);
        });
      });
    });
  }

  function copyButtons() {
    document.querySelectorAll("[data-copy-target]").forEach(function (button) {
      if (!navigator.clipboard) return;
      var source = document.getElementById(button.getAttribute("data-copy-target"));
      var status = button.parentNode.querySelector(".copy-status");
      button.hidden = false;
      button.addEventListener("click", function () {
        navigator.clipboard.writeText(source.textContent.trim()).then(function () {
          if (status) status.textContent = button.getAttribute("data-copied") || "Copied";
        });
      });
    });
  }

  function focusErrors() {
    var summary = document.getElementById("error-summary");
    if (summary) summary.focus();
  }

  document.addEventListener("DOMContentLoaded", function () {
    var tz = browserTimeZone();
    rememberTimeZone(tz);
    localiseTimes(tz);
    characterCounters();
    imagePreviews();
    copyButtons();
    focusErrors();
  });
})();
