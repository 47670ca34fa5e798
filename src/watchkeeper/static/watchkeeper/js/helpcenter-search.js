/* Help-center search box: keyboard use of the autocomplete suggestions that htmx puts under it
 * (the WAI-ARIA combobox pattern). Focus stays in the box; ArrowDown / ArrowUp move through the
 * suggestions, Enter opens the highlighted one (or searches when none is), Escape closes the list.
 */
(function () {
  "use strict";

  function listFor(input) {
    const container = document.getElementById(input.dataset.suggestions || "");
    return container ? container.querySelector("[role=listbox]") : null;
  }

  function options(input) {
    const list = listFor(input);
    return list ? Array.from(list.querySelectorAll("[role=option]")) : [];
  }

  function activate(input, option) {
    options(input).forEach((item) => item.setAttribute("aria-selected", item === option ? "true" : "false"));
    if (option) {
      input.setAttribute("aria-activedescendant", option.id);
      option.scrollIntoView({ block: "nearest" });
    } else {
      input.removeAttribute("aria-activedescendant");
    }
  }

  function sync(input) {
    const list = listFor(input);
    input.setAttribute("aria-expanded", list && options(input).length ? "true" : "false");
    if (list) input.setAttribute("aria-controls", list.id);
    activate(input, null);
  }

  function close(input) {
    const container = document.getElementById(input.dataset.suggestions || "");
    if (container) container.innerHTML = "";
    sync(input);
  }

  document.addEventListener("keydown", (event) => {
    const input = event.target;
    if (!(input instanceof HTMLInputElement) || !input.dataset.suggestions) return;
    const items = options(input);
    if (!items.length) return;
    const current = items.findIndex((item) => item.getAttribute("aria-selected") === "true");
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      const step = event.key === "ArrowDown" ? 1 : -1;
      const next = current === -1 ? (step === 1 ? 0 : items.length - 1) : (current + step + items.length) % items.length;
      activate(input, items[next]);
    } else if (event.key === "Enter" && current !== -1) {
      event.preventDefault();
      const link = items[current].querySelector("a[href]");
      if (link) link.click();
    } else if (event.key === "Escape") {
      event.preventDefault();
      close(input);
    }
  });

  document.addEventListener("htmx:afterSwap", (event) => {
    document.querySelectorAll("input[data-suggestions]").forEach((input) => {
      if (event.target.id === input.dataset.suggestions) sync(input);
    });
  });
})();
