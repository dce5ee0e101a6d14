// While a submission on the page is being checked, polls its status.json and reloads the page once the checks
// have moved it on (to pending review, queued or rejected with the checks' message).
(function () {
  if (window.submissionChecksPolling) return; // the partial includes this script once per submission
  window.submissionChecksPolling = true;
  var EVERY_MS = 2000;

  function changed(el) {
    return fetch(el.dataset.url, { headers: { Accept: "application/json" }, cache: "no-store" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (s) { return s !== null && s.status !== "CHECKING"; })
      .catch(function () { return false; /* offline for a moment: try again next time */ });
  }

  function poll() {
    var checking = document.querySelectorAll(".submission-checking");
    if (!checking.length) return;
    var checks = document.hidden ? [] : Array.prototype.map.call(checking, changed);
    Promise.all(checks).then(function (moved) {
      if (moved.some(Boolean)) window.location.reload();
      else setTimeout(poll, EVERY_MS);
    });
  }

  setTimeout(poll, EVERY_MS);
})();
