// Keeps every {% run_progress_bar %} on the page current: polls its progress.json until the run ends.
(function () {
  if (window.runProgressPolling) return; // the partial includes this script once per bar
  window.runProgressPolling = true;
  var EVERY_MS = 5000;

  function update(el) {
    return fetch(el.dataset.url, { headers: { Accept: "application/json" }, cache: "no-store" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (p) {
        if (!p) return;
        var bar = el.querySelector("progress");
        if (p.percent === null) bar.removeAttribute("value"); else bar.value = p.percent;
        el.querySelector(".run-progress-text").textContent = p.text;
        if (p.final) el.dataset.final = "1";
      })
      .catch(function () { /* offline for a moment: try again next time */ });
  }

  function poll() {
    var live = document.querySelectorAll('.run-progress[data-final="0"]');
    if (!live.length) return;
    var updates = document.hidden ? [] : Array.prototype.map.call(live, update);
    Promise.all(updates).then(function () { setTimeout(poll, EVERY_MS); });
  }

  setTimeout(poll, EVERY_MS);
})();
