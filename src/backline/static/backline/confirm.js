// Confirmation before destructive form submissions, without inline handlers (CSP: no
// 'unsafe-inline'). Mark a form with data-confirm="Question?"; Cancel keeps the form unsent.
(function () {
  "use strict";

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement)) return;
    var question = form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  }, true);
})();
