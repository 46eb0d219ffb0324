// AMO's own small scripts. No inline scripts anywhere: the Content-Security-Policy forbids them.
document.addEventListener("htmx:afterSwap", (event) => {
  // Move focus to swapped-in results so screen-reader and keyboard users land on them.
  const target = event.detail.target;
  // Never take focus from a field the user is typing in or choosing from (live search).
  const active = document.activeElement;
  if (active && active.matches("input, select, textarea") && document.body.contains(active)) return;
  if (target && target.dataset.focusOnSwap !== undefined) {
    target.setAttribute("tabindex", "-1");
    target.focus();
  }
});

document.addEventListener("htmx:configRequest", (event) => {
  // Catalog searches: leave empty fields out of the query string, so the URL pushed to the
  // address bar (and shared) names only the filters in use.
  if (!event.detail.elt.closest("[data-drop-empty-params]")) return;
  const parameters = event.detail.parameters;
  for (const key of Object.keys(parameters)) {
    if (parameters[key] === "") delete parameters[key];
  }
});

document.addEventListener("click", (event) => {
  // A "Print" button (a receipt): the browser's print dialog; the page's print styles do the rest.
  if (event.target.closest("[data-print]")) window.print();
});

document.addEventListener("click", async (event) => {
  // A "Copy" button (a calendar feed's address): the named field's text to the clipboard, and a
  // word in its status region for screen readers. Without clipboard access the text is selected.
  const button = event.target.closest("[data-copy]");
  if (!button) return;
  const field = document.getElementById(button.dataset.copy);
  const status = document.getElementById(button.dataset.copyStatus);
  try {
    await navigator.clipboard.writeText(field.value);
    status.textContent = "Copied.";
  } catch {
    field.select();
    status.textContent = "Selected: copy it with Ctrl+C (⌘C on a Mac).";
  }
});
