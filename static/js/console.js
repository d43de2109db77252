/* The developer console: "select all", focus after HTMX swaps (the timezone: timezone.js).
   Everything here is an enhancement: the console works with links and forms alone. */
(function () {
  "use strict";

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

  // The search box asks for the list as it is typed in (the toolbar's "input" trigger); its
  // "change" on leaving it would ask again for the same list, and that late answer would
  // re-render the rows under the cursor. Stopped before it reaches the toolbar form.
  document.addEventListener(
    "change",
    function (event) {
      if (event.target.id === "id_q") event.stopPropagation();
    },
    true
  );

  document.addEventListener("DOMContentLoaded", function () {
    revealEnhancements(document);
    // Words typed in the search box before the scripts were ready (a slow connection) sent
    // their "input" to nobody, and htmx took them as the box's starting value: the search is
    // submitted now, through htmx (it set up just before this).
    var search = document.getElementById("id_q");
    if (search && search.form && search.value !== search.defaultValue) search.form.requestSubmit();
  });
  document.addEventListener("htmx:load", function (event) {
    revealEnhancements(event.detail.elt);
  });
})();
