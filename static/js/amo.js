// AMO's own small scripts. No inline scripts anywhere: the Content-Security-Policy forbids them.
document.addEventListener("htmx:afterSwap", (event) => {
  // Move focus to swapped-in results so screen-reader and keyboard users land on them.
  const target = event.detail.target;
  if (target && target.dataset.focusOnSwap !== undefined) {
    target.setAttribute("tabindex", "-1");
    target.focus();
  }
});
