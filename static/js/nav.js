// The header's navigation folds behind a Menu button on a narrow screen; without JavaScript it wraps instead.
(function () {
  const header = document.querySelector("header.top");
  const button = header && header.querySelector(".menu-toggle");
  if (!button) return;
  header.classList.add("collapsible");
  button.hidden = false;
  button.addEventListener("click", function () {
    const open = header.classList.toggle("open");
    button.setAttribute("aria-expanded", open ? "true" : "false");
  });
})();
