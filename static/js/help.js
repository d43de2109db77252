// Help center comfort: everything here is optional, the pages work without it.
// (The timezone is static/js/timezone.js, shared with the console.)
(function () {
  "use strict";

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
      function preview() {
        box.textContent = "";
        Array.prototype.slice.call(input.files || [], 0, 3).forEach(function (file) {
          if (!/^image\/(png|jpeg|webp)$/.test(file.type)) return;
          var img = document.createElement("img");
          img.alt = file.name;
          img.width = 120;
          img.src = URL.createObjectURL(file);
          box.appendChild(img);
        });
      }
      input.addEventListener("change", preview);
      whenChosenEarly(input, preview);
    });
  }

  // Files chosen before this script ran (a slow connection) sent their "change" to nobody.
  function whenChosenEarly(input, handle) {
    if (input.files && input.files.length) handle();
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

  // A file above the server's limit (data-max-bytes, from reports.screenshots.MAX_BYTES) is named
  // next to the field and the form is not sent: no waiting for 20 MB to upload to be refused.
  function fileSizeLimits() {
    document.querySelectorAll("input[type=file][data-max-bytes]").forEach(function (input) {
      var maxBytes = parseInt(input.getAttribute("data-max-bytes"), 10);
      var message = input.getAttribute("data-too-large");
      var errors = document.createElement("ul");
      errors.className = "field-errors";
      errors.id = input.id + "_size_error";
      errors.setAttribute("role", "alert");
      errors.hidden = true;
      input.parentNode.insertBefore(errors, input);
      function tooLarge() {
        return Array.prototype.filter.call(input.files || [], function (file) {
          return file.size > maxBytes;
        });
      }
      function show() {
        var files = tooLarge();
        errors.textContent = "";
        files.forEach(function (file) {
          var item = document.createElement("li");
          item.textContent = file.name + ": " + message;
          errors.appendChild(item);
        });
        errors.hidden = files.length === 0;
        var described = (input.getAttribute("aria-describedby") || "").split(" ").filter(
          function (id) { return id && id !== errors.id; });
        if (files.length) described.push(errors.id);
        input.setAttribute("aria-describedby", described.join(" "));
        input.setAttribute("aria-invalid", files.length ? "true" : "false");
        return files.length;
      }
      input.addEventListener("change", show);
      whenChosenEarly(input, show);
      if (input.form) {
        input.form.addEventListener("submit", function (event) {
          if (show()) {
            event.preventDefault();
            input.focus();
          }
        });
      }
    });
  }

  function focusErrors() {
    var summary = document.getElementById("error-summary");
    if (summary) summary.focus();
  }

  document.addEventListener("DOMContentLoaded", function () {
    characterCounters();
    imagePreviews();
    fileSizeLimits();
    copyButtons();
    focusErrors();
  });
})();
