// The compare page's model picker: search the suite's ranked models as you type, add up to four, remove any;
// the form then sends them as one comma-separated `models` parameter, so the URL says the whole comparison.
// Without JavaScript the plain text field does the same.
(function () {
  const form = document.getElementById("compare-form");
  if (!form) return;
  const field = document.getElementById("compare-models");
  const suite = document.getElementById("compare-suite");
  const chosenList = document.getElementById("compare-chosen");
  const picker = document.getElementById("compare-picker");
  const search = document.getElementById("compare-search");
  const options = document.getElementById("compare-options");
  const max = parseInt(form.dataset.max, 10) || 4;
  let chosen = field.value.split(",").map(function (s) { return s.trim(); }).filter(Boolean);
  let offered = [];
  let timer = null;
  let asked = 0;

  function render() {
    chosenList.replaceChildren();
    chosen.forEach(function (model, index) {
      const item = document.createElement("li");
      item.textContent = model + (index === 0 ? " (compared with each other one)" : "") + " ";
      const remove = document.createElement("button");
      remove.type = "button";
      remove.className = "compare-remove";
      remove.dataset.model = model;
      remove.textContent = "remove";
      remove.setAttribute("aria-label", "remove " + model);
      item.appendChild(remove);
      chosenList.appendChild(item);
    });
    field.value = chosen.join(",");
    search.disabled = chosen.length >= max;
    search.placeholder = chosen.length >= max ? "at most " + max + " models" : "type part of a model id";
  }

  function add(model) {
    model = model.trim();
    if (!model || chosen.includes(model) || chosen.length >= max) return;
    chosen.push(model);
    search.value = "";
    options.replaceChildren();
    render();
  }

  function lookup() {
    const query = search.value.trim();
    const ticket = ++asked;
    const url = form.dataset.candidatesUrl + "?" + new URLSearchParams({ suite: suite.value, q: query });
    fetch(url, { headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : { models: [] }; })
      .then(function (data) {
        if (ticket !== asked) return; // an older answer arriving late
        offered = data.models.filter(function (model) { return !chosen.includes(model); });
        options.replaceChildren.apply(options, offered.map(function (model) {
          const option = document.createElement("option");
          option.value = model;
          return option;
        }));
        if (offered.includes(search.value.trim())) add(search.value);
      })
      .catch(function () {});
  }

  search.addEventListener("input", function () {
    if (offered.includes(search.value.trim())) { add(search.value); return; } // picked from the list
    clearTimeout(timer);
    timer = setTimeout(lookup, 150);
  });
  search.addEventListener("keydown", function (event) {
    if (event.key !== "Enter") return;
    event.preventDefault();
    if (search.value.trim()) add(offered.length === 1 && !offered.includes(search.value.trim()) ? offered[0] : search.value);
  });
  chosenList.addEventListener("click", function (event) {
    const button = event.target.closest(".compare-remove");
    if (!button) return;
    chosen = chosen.filter(function (model) { return model !== button.dataset.model; });
    render();
  });
  suite.addEventListener("change", function () { offered = []; options.replaceChildren(); });

  field.closest("label").hidden = true;
  chosenList.hidden = false;
  picker.hidden = false;
  render();
})();
