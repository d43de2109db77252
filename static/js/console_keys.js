/* Keyboard shortcuts for the User reports list (docs/CONSOLE.md, "Keyboard").

   /        search            j / k    next / previous report (focus moves to its link)
   Enter, o open the report   Esc      close it, focus back on its row (or leave the search box)
   n        notes             Ctrl+Enter in the notes: save them
   r        resolve           d        dismiss: focuses the reason; Enter there dismisses
   a        assign to me (when the panel offers it)                ?  the shortcuts dialog

   Typing in a field never triggers a shortcut, and Ctrl/Meta/Alt combinations pass through.
   Everything acts through the page's own links and buttons (the data-* hooks in
   docs/CONSOLE.md), so htmx, the server's checks and the no-JS page stay the rule:
   a viewer's panel has no Resolve button, so `r` finds nothing to press. */
(function () {
  "use strict";

  var selectedId = ""; // the keyboard selection, kept across htmx swaps of its row
  var openedId = ""; // the row whose panel was last opened from the list

  function $(selector, root) {
    return (root || document).querySelector(selector);
  }

  function rows() {
    return Array.prototype.slice.call(document.querySelectorAll("[data-report-row]"));
  }

  function say(text) {
    var status = document.getElementById("kbd-status");
    if (!status) return;
    // Cleared first, so the same message twice is announced twice.
    status.textContent = "";
    window.setTimeout(function () {
      status.textContent = text;
    }, 50);
  }

  function canHandle() {
    var dialog = document.getElementById("shortcuts-dialog");
    return !!(dialog && dialog.hasAttribute("data-can-handle"));
  }

  function isTyping(target) {
    if (!target || target.nodeType !== 1) return false;
    if (target.isContentEditable) return true;
    var tag = target.tagName;
    if (tag === "TEXTAREA" || tag === "SELECT") return true;
    if (tag !== "INPUT") return false;
    return !/^(checkbox|radio|button|submit|reset|image|file|range|color)$/i.test(target.type);
  }

  function isControl(target) {
    return !!(target && target.closest && target.closest("a[href], button, summary"));
  }

  function panelLink(row) {
    if (!row) return null;
    var url = row.getAttribute("data-panel-url");
    var links = row.querySelectorAll("a[href]");
    for (var i = 0; i < links.length; i++) {
      if (links[i].getAttribute("href") === url) return links[i];
    }
    return null;
  }

  function selectedRow() {
    return (selectedId && document.getElementById(selectedId)) || $("[data-report-row].is-selected");
  }

  function openRow() {
    return $("[data-report-row].is-open") || (openedId && document.getElementById(openedId));
  }

  function mark(row) {
    var previous = document.querySelectorAll("[data-report-row].is-selected");
    for (var i = 0; i < previous.length; i++) {
      if (previous[i] !== row) previous[i].classList.remove("is-selected");
    }
    if (row) row.classList.add("is-selected");
  }

  function focusRow(row) {
    var target = panelLink(row);
    if (!target) {
      if (!row.hasAttribute("tabindex")) row.setAttribute("tabindex", "-1");
      target = row;
    }
    target.focus({ preventScroll: true });
    row.scrollIntoView({ block: "nearest" });
  }

  function select(row) {
    selectedId = row.id;
    mark(row);
    // Focus names the report to a screen reader (its ID link, "Open report …"), and Enter on
    // the focused link opens that same report.
    focusRow(row);
  }

  function move(step) {
    var all = rows();
    if (!all.length) {
      say("No reports on this page.");
      return;
    }
    var index = all.indexOf(selectedRow() || openRow());
    var next = index < 0 ? (step > 0 ? 0 : all.length - 1) : index + step;
    select(all[Math.min(Math.max(next, 0), all.length - 1)]);
  }

  function openSelected() {
    var row = selectedRow();
    if (!row) {
      say("Choose a report first: j and k move through the list.");
      return;
    }
    openedId = row.id;
    var link = panelLink(row); // every row has one (report_row); its click opens the drawer
    if (link) link.click();
  }

  function panelOpen() {
    var panel = document.getElementById("panel");
    return panel && $("#panel-title", panel) ? panel : null;
  }

  // Idempotent: a closed panel stays closed, and focus goes back to the row either way, so a
  // drawer script handling Esc as well does no harm (and one that calls preventDefault first
  // is left alone, see the keydown handler).
  function closePanel() {
    if (!rows().length) return; // the panel's own page: nothing to close to
    var panel = panelOpen();
    var row = openRow() || selectedRow();
    if (panel) {
      var closer = $('[data-action="close-panel"]', panel);
      if (closer) closer.click();
      var open = document.querySelectorAll("[data-report-row].is-open, [data-report-row][aria-selected]");
      for (var i = 0; i < open.length; i++) {
        open[i].classList.remove("is-open");
        open[i].removeAttribute("aria-selected");
      }
    }
    openedId = "";
    if (row) {
      selectedId = row.id;
      mark(row);
      focusRow(row);
    }
  }

  function pressInPanel(selector, missing) {
    var panel = panelOpen();
    var button = panel && $(selector, panel);
    if (button) {
      button.click();
      return;
    }
    if (!panel) say("Open a report first: j and k choose one, Enter opens it.");
    else if (!canHandle()) say("You have the Viewer role: you can read reports, not handle them.");
    else say(missing);
  }

  function notes() {
    var panel = panelOpen();
    var box = panel && $("#id_notes", panel);
    if (!box) {
      pressInPanel("#id_notes", "");
      return;
    }
    box.focus();
    box.setSelectionRange(box.value.length, box.value.length);
  }

  function dismiss() {
    var panel = panelOpen();
    var reason = panel && $("#id_reason", panel);
    if (!reason) {
      pressInPanel("#id_reason", "This report is already handled: there is nothing to dismiss.");
      return;
    }
    // Never dismissed without a reason: the reporter is told it. The choice is the person's.
    reason.focus();
    say("Choose the reason for dismissing with the arrow keys, then press Enter to dismiss.");
  }

  // After choosing the reason: Enter dismisses, or first asks for what that reason needs.
  function reasonEnter(select) {
    var panel = panelOpen();
    var value = select.value;
    if (!value) {
      say("Choose a reason first: the reporter is told it.");
      return;
    }
    var needs = value === "duplicate" ? "#id_duplicate_of" : value === "other" ? "#id_reason_text" : "";
    var field = needs && $(needs, panel);
    if (field && !field.value.trim()) {
      field.focus();
      say(value === "duplicate"
        ? "Type the ID of the report this one duplicates, then press Enter to dismiss."
        : "Write the reason in your words, then press Enter to dismiss.");
      return;
    }
    var button = panel && $('[data-action="dismiss"]', panel);
    if (button) button.click();
  }

  function showShortcuts() {
    var dialog = document.getElementById("shortcuts-dialog");
    if (dialog && !dialog.open && dialog.showModal) dialog.showModal();
  }

  function focusSearch() {
    var search = document.getElementById("id_q");
    if (!search) return false;
    search.focus();
    search.select();
    return true;
  }

  function onEscape(event) {
    var target = event.target;
    if ($("dialog[open]")) return; // the dialog closes itself on Esc
    if (target && target.id === "id_q") {
      // Leave the search box, keeping what was typed (a search field would clear itself).
      event.preventDefault();
      target.blur();
      return;
    }
    var panel = document.getElementById("panel");
    if (isTyping(target) && panel && panel.contains(target)) {
      // Out of a field of the panel, onto its heading: the panel's keys work again.
      event.preventDefault();
      var title = $("#panel-title", panel);
      if (title) title.focus();
      return;
    }
    if (isTyping(target)) return;
    event.preventDefault();
    closePanel();
  }

  document.addEventListener("keydown", function (event) {
    if (event.defaultPrevented || event.isComposing) return;
    var target = event.target;
    var modified = event.ctrlKey || event.metaKey || event.altKey;
    if (event.key === "Enter" && target && target.closest) {
      if ((event.ctrlKey || event.metaKey) && target.id === "id_notes") {
        var save = target.form && target.form.querySelector('[data-action="save-notes"]');
        if (save) {
          event.preventDefault();
          save.click();
        }
        return;
      }
      if (!modified && target.id === "id_reason") {
        event.preventDefault();
        reasonEnter(target);
        return;
      }
      if (!modified && (target.id === "id_duplicate_of" || target.id === "id_reason_text")) {
        var reason = $("#id_reason");
        if (reason) {
          event.preventDefault(); // not the form's implicit "Save notes"
          reasonEnter(reason);
        }
        return;
      }
    }
    if (event.key === "Escape") {
      if (!modified) onEscape(event);
      return;
    }
    if (modified || isTyping(target) || $("dialog[open]")) return;
    var handled = true;
    switch (event.key) {
      case "/":
        handled = focusSearch();
        break;
      case "j":
        move(1);
        break;
      case "k":
        move(-1);
        break;
      case "o":
        openSelected();
        break;
      case "Enter":
        // A focused link or button does its own thing (the row's link opens the same panel).
        if (isControl(target)) handled = false;
        else openSelected();
        break;
      case "r":
        pressInPanel('[data-action="resolve"]', "This report is already handled: there is nothing to resolve.");
        break;
      case "d":
        dismiss();
        break;
      case "n":
        notes();
        break;
      case "a":
        pressInPanel('[data-action="assign-me"]', "This report cannot be assigned here.");
        break;
      case "?":
        showShortcuts();
        break;
      default:
        handled = false;
    }
    if (handled) event.preventDefault();
  });

  document.addEventListener("click", function (event) {
    var target = event.target;
    if (!target || !target.closest) return;
    if (target.closest("[data-shortcuts-open]")) {
      showShortcuts();
      return;
    }
    // A row opened by mouse becomes the selection too, so j/k and Esc continue from it.
    var row = target.closest("[data-report-row]");
    if (row && target.closest("a[href]") && panelLink(row) === target.closest("a[href]")) {
      openedId = row.id;
      selectedId = row.id;
      mark(row);
    }
  });

  // htmx swaps rows (a decision re-renders its row out of band, a search answer arriving late
  // re-renders the list): keep the selection marked, and focus on it if focus was there.
  // Whether focus was last put in a row: a swap that removes the focused row moves focus to
  // the body without a focusin, so this still says where it was (whenever the swap happens).
  var focusInRow = false;
  document.addEventListener("focusin", function (event) {
    var target = event.target;
    focusInRow = !!(target.closest && target.closest("[data-report-row]"));
  });
  document.addEventListener("htmx:load", function () {
    var row = selectedId && document.getElementById(selectedId);
    if (!row) return;
    row.classList.add("is-selected");
    var active = document.activeElement;
    if (focusInRow && (!active || active === document.body)) focusRow(row);
  });
})();
