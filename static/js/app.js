// The staff pages' only script (no inline script: the Content-Security-Policy forbids it).
// A button or form with data-confirm asks before it acts.
document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-confirm]");
  if (button && !window.confirm(button.dataset.confirm)) {
    event.preventDefault();
  }
});
