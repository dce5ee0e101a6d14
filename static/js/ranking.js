// Apply a filter as soon as it changes; the Apply button does the same without JavaScript.
(function () {
  const form = document.getElementById("ranking-filters");
  if (!form) return;
  form.addEventListener("change", function (event) {
    if (event.target.matches("input[type=checkbox], input[type=radio]")) form.requestSubmit();
  });
  // Leave empty fields out of the URL, so a shared link says only what was chosen.
  form.addEventListener("submit", function () {
    form.querySelectorAll("input[type=search], input[type=number], input[type=text]").forEach(function (input) {
      if (input.value === "") input.disabled = true;
    });
  });
  // Keep the panels open as the user left them, across the reloads that filtering makes.
  form.querySelectorAll("details.panel").forEach(function (panel, index) {
    const key = "ranking-panel-" + index;
    const saved = sessionStorage.getItem(key);
    if (saved !== null) panel.open = saved === "1";
    panel.addEventListener("toggle", function () { sessionStorage.setItem(key, panel.open ? "1" : "0"); });
  });
})();
