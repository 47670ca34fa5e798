// New-ticket form: show only the chosen category's details, and disable the others so their inputs
// are neither submitted nor required. Without JavaScript every section shows and only the chosen
// category's inputs are read.
(function () {
  "use strict";
  function sync(form) {
    var select = form.querySelector("select[name=category]");
    if (!select) return;
    form.querySelectorAll("fieldset[data-category]").forEach(function (fieldset) {
      var active = fieldset.dataset.category === select.value;
      fieldset.hidden = !active;
      fieldset.disabled = !active;
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    var form = document.getElementById("new-ticket-form");
    if (!form) return;
    sync(form);
    form.querySelector("select[name=category]").addEventListener("change", function () { sync(form); });
  });
})();
