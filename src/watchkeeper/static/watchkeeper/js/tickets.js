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

// Agent reply form: choosing a macro puts its text (already filled in for this ticket) in the reply,
// where the agent can still edit it, and preselects the status it sets.
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var picker = document.getElementById("macro-select");
    if (!picker) return;
    picker.addEventListener("change", function () {
      var option = picker.options[picker.selectedIndex];
      if (!option || !option.value) return;
      var body = document.getElementById("reply-body");
      body.value = option.dataset.body;
      var status = document.getElementById("reply-status");
      if (status && option.dataset.status) status.value = option.dataset.status;
      body.focus();
    });
  });
})();
