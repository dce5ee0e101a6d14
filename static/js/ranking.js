// The ranking's filters: with htmx (vendored), every change swaps the table and its counts in place and the
// URL follows; without JavaScript the form's Apply button does the same by loading the page.
(function () {
  if (!document.getElementById("ranking-filters")) return;
  // The URL carries only what differs from the plain page: empty fields and default choices are left out.
  // (The form is looked up each time: going back swaps the page's content in anew.)
  document.body.addEventListener("htmx:configRequest", function (event) {
    const form = event.detail.elt;
    if (form.id !== "ranking-filters") return;
    const params = event.detail.parameters;
    form.querySelectorAll("input[type=search], input[type=number], input[type=text]").forEach(function (input) {
      if (input.value === "") params.delete(input.name);
    });
    ["scores", "average"].forEach(function (name) {
      const checked = form.querySelector("input[name=" + name + "]:checked");
      if (checked && checked.hasAttribute("data-default")) params.delete(name);
    });
    const subject = form.querySelector("select[name=subject]");
    if (subject && subject.value === "") params.delete("subject");
    const cols = Array.prototype.slice.call(form.querySelectorAll("input[name=cols]"));
    if (cols.every(function (box) { return box.checked === box.hasAttribute("data-default"); })) params.delete("cols");
  });
  // Keep the panels open as the user left them, across page loads.
  document.getElementById("ranking-filters").querySelectorAll("details.panel").forEach(function (panel, index) {
    const key = "ranking-panel-" + index;
    const saved = sessionStorage.getItem(key);
    if (saved !== null) panel.open = saved === "1";
    panel.addEventListener("toggle", function () { sessionStorage.setItem(key, panel.open ? "1" : "0"); });
  });
})();
