/* Submit, press Back, Submit again must land on the report already filed, not file a second one.
   On Back the browser restores the typed text but the page comes with a new one-time key (hidden
   fields are not restored), so the key this tab last sent from this form page is kept and put
   back when the page is reached again through history. A new visit keeps its own new key. */
(function () {
  "use strict";

  var input = document.querySelector('form input[name="submission_key"]');
  if (!input) return;
  var slot = "reportdesk:submission_key:" + window.location.pathname;
  var entry = window.performance && performance.getEntriesByType
    ? performance.getEntriesByType("navigation")[0]
    : null;
  try {
    var sent = window.sessionStorage.getItem(slot);
    if (sent && entry && entry.type === "back_forward") {
      input.value = sent;
    } else {
      window.sessionStorage.removeItem(slot);
    }
    input.form.addEventListener("submit", function () {
      window.sessionStorage.setItem(slot, input.value);
    });
  } catch (error) {
    // Storage refused (private mode, disabled): the server's duplicate check still applies.
  }
})();
