// Backline keyboard shortcuts and small page behaviours. No inline scripts anywhere.
(function () {
  "use strict";

  function typing(el) {
    return el && (el.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(el.tagName));
  }

  function rows() {
    return Array.from(document.querySelectorAll("table[data-keynav] tbody tr[data-href]"));
  }

  function select(delta) {
    var list = rows();
    if (!list.length) return;
    var current = list.findIndex(function (r) { return r.classList.contains("selected"); });
    var next = Math.max(0, Math.min(list.length - 1, current + delta));
    list.forEach(function (r) { r.classList.remove("selected"); });
    list[next].classList.add("selected");
    list[next].scrollIntoView({ block: "nearest" });
  }

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    if (typing(event.target)) {
      if (event.key === "Escape") event.target.blur();
      return;
    }
    var key = event.key;
    if (key === "j") { select(1); event.preventDefault(); return; }
    if (key === "k") { select(-1); event.preventDefault(); return; }
    if (key === "Enter") {
      var chosen = document.querySelector("tr.selected[data-href]");
      if (chosen) { window.location = chosen.dataset.href; event.preventDefault(); }
      return;
    }
    if (key === "?") {
      var help = document.getElementById("keys-help");
      if (help && help.showModal) help.showModal();
      return;
    }
    var radio = document.querySelector('[data-shortcut-radio="' + key + '"]');
    if (radio) {
      radio.checked = true;
      var box = document.getElementById("id_body");
      if (box) box.focus();
      event.preventDefault();
      return;
    }
    var target = document.querySelector('[data-shortcut="' + key + '"]');
    if (!target) return;
    event.preventDefault();
    if (target.tagName === "INPUT") { target.focus(); target.select(); }
    else { target.click(); }
  });

  // Whole queue rows are clickable; links inside keep their own behaviour.
  document.addEventListener("click", function (event) {
    var row = event.target.closest("tr[data-href]");
    if (!row || event.target.closest("a, button, input, select, form")) return;
    window.location = row.dataset.href;
  });

  // Dialogs: content loaded into #modal opens it; [data-close-modal] closes it.
  document.addEventListener("htmx:afterSwap", function (event) {
    var modal = document.getElementById("modal");
    if (modal && event.detail.target === modal && !modal.open && modal.showModal) {
      modal.showModal();
      var first = modal.querySelector("select, textarea, input:not([type=hidden])");
      if (first) first.focus();
    }
  });
  document.addEventListener("click", function (event) {
    var closer = event.target.closest("[data-close-modal]");
    var modal = document.getElementById("modal");
    if (closer && modal && modal.open) {
      event.preventDefault();
      modal.close();
    }
  });

  // Selects that apply a filter as soon as they change.
  document.addEventListener("change", function (event) {
    if (event.target.matches("select[data-autosubmit]") && event.target.form) {
      event.target.form.requestSubmit();
    }
  });

  // An HTMX error response (4xx) still carries a page fragment worth showing.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var status = event.detail.xhr.status;
    if (status >= 400 && status < 500) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });
})();
