/* The console list's drawer, row clicks, filter menus and bulk bar (issue #15, layout).
   Everything here is an enhancement: without JS each report ID is a link to the panel's own
   page, the filter menus are <details> and the bulk form is always shown.
   Other scripts (console_keys.js) open and close the drawer through window.ReportdeskDrawer. */
(function () {
  "use strict";

  var openRowId = null;

  function panel() {
    var element = document.getElementById("panel");
    return element && element.classList.contains("drawer") ? element : null;
  }

  function markOpenRow() {
    var rows = document.querySelectorAll("[data-report-row]");
    for (var i = 0; i < rows.length; i++) {
      var isOpen = openRowId !== null && rows[i].id === openRowId;
      rows[i].classList.toggle("is-open", isOpen);
      if (isOpen) rows[i].setAttribute("aria-selected", "true");
      else rows[i].removeAttribute("aria-selected");
    }
  }

  function open(row) {
    var link = row && row.querySelector("[data-panel-link]");
    if (link) link.click(); // htmx loads the panel into #panel; showDrawer runs after the swap
  }

  function showDrawer() {
    var drawer = panel();
    if (!drawer) return;
    drawer.hidden = false;
    document.body.classList.add("drawer-open");
    markOpenRow();
  }

  function close() {
    var drawer = panel();
    if (!drawer || drawer.hidden) return false;
    drawer.hidden = true;
    drawer.innerHTML = "";
    document.body.classList.remove("drawer-open");
    var row = openRowId && document.getElementById(openRowId);
    openRowId = null;
    markOpenRow();
    var link = row && row.querySelector("[data-panel-link]");
    if (link) link.focus();
    return true;
  }

  window.ReportdeskDrawer = {
    open: open,
    close: close,
    isOpen: function () {
      var drawer = panel();
      return !!drawer && !drawer.hidden;
    },
  };

  // The whole row opens the panel, except its checkbox, links and other controls.
  document.addEventListener("click", function (event) {
    var target = event.target;
    if (!target.closest) return;
    if (target.closest("[data-drawer-close]")) {
      close();
      return;
    }
    var link = target.closest("[data-panel-link]");
    if (link) {
      var linkRow = link.closest("[data-report-row]");
      if (linkRow && panel()) openRowId = linkRow.id;
      return;
    }
    var row = target.closest("[data-report-row]");
    if (!row || target.closest("a, button, input, label, select, textarea, summary")) return;
    var selection = window.getSelection && window.getSelection();
    if (selection && String(selection).length > 0) return; // selecting an ID to copy it
    open(row);
  });

  document.addEventListener("htmx:afterSwap", function (event) {
    var drawer = panel();
    if (drawer && event.detail.target === drawer) showDrawer();
  });
  // A decision swaps the open row (out of band) and filters swap the whole list: mark it again.
  document.addEventListener("htmx:afterSettle", markOpenRow);

  // Filter menus: one open at a time; a click outside or Esc closes it.
  function openMenus() {
    return document.querySelectorAll("details.menu[open]");
  }
  document.addEventListener(
    "toggle",
    function (event) {
      var menu = event.target;
      if (!menu.matches || !menu.matches("details.menu") || !menu.open) return;
      var menus = openMenus();
      for (var i = 0; i < menus.length; i++) if (menus[i] !== menu) menus[i].open = false;
    },
    true
  );
  document.addEventListener("click", function (event) {
    var menus = openMenus();
    for (var i = 0; i < menus.length; i++) {
      if (!menus[i].contains(event.target)) menus[i].open = false;
    }
  });

  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape" || event.defaultPrevented) return;
    var menus = openMenus();
    if (menus.length) {
      for (var i = 0; i < menus.length; i++) menus[i].open = false;
      var summary = menus[0].querySelector("summary");
      if (summary) summary.focus();
      event.preventDefault();
      return;
    }
    // Esc in a field of the panel or in an open dialog (the shortcuts) is theirs: closing the
    // drawer there would throw away what was typed (console_keys.js moves focus instead).
    var target = event.target;
    if (document.querySelector("dialog[open]")) return;
    if (target.closest && target.closest("input, textarea, select, [contenteditable]")) return;
    if (close()) event.preventDefault();
  });

  // The bulk bar: shown only while rows are selected (or "all matching" is ticked).
  function updateBulkBar() {
    var bar = document.querySelector("[data-bulk-bar]");
    if (!bar) return;
    var boxes = document.querySelectorAll('input[name="selected"][form="bulk-form"]');
    var count = 0;
    for (var i = 0; i < boxes.length; i++) if (boxes[i].checked) count++;
    var allMatching = bar.querySelector("#id_all_matching");
    bar.hidden = count === 0 && !(allMatching && allMatching.checked);
    var label = bar.querySelector("[data-bulk-count]");
    if (label) label.textContent = count === 1 ? "1 selected" : count + " selected";
    var selectAll = document.querySelector("[data-select-all]");
    if (selectAll) {
      selectAll.checked = boxes.length > 0 && count === boxes.length;
      selectAll.indeterminate = count > 0 && count < boxes.length;
    }
    var rows = document.querySelectorAll("[data-report-row]");
    for (var j = 0; j < rows.length; j++) {
      var box = rows[j].querySelector('input[name="selected"]');
      rows[j].classList.toggle("is-checked", !!box && box.checked);
    }
  }
  document.addEventListener("change", function (event) {
    var box = event.target;
    if (!box.matches) return;
    if (box.matches('[data-select-all], input[name="selected"], #id_all_matching')) {
      window.setTimeout(updateBulkBar, 0); // after console.js has ticked every row
    }
  });
  function floatBulkBar() {
    var bar = document.querySelector("[data-bulk-bar]");
    if (bar) bar.classList.add("bulk-floating");
    updateBulkBar();
  }
  document.addEventListener("DOMContentLoaded", floatBulkBar);
  document.addEventListener("htmx:load", floatBulkBar);
})();
