/* A scenario run still working: poll its status and reload the page when it changes.
   The status URL and the state the page shows come from this script tag's data attributes. */
(function () {
  const tag = document.currentScript;
  const url = tag.dataset.statusUrl;
  const seen = {status: tag.dataset.status, analysis: tag.dataset.analysis || null};
  const elapsed = document.querySelector('[data-elapsed]');
  function poll() {
    fetch(url, {credentials: 'same-origin', headers: {'Accept': 'application/json'}})
      .then(function (r) { return r.json(); })
      .then(function (s) {
        if (elapsed) { elapsed.textContent = s.elapsed; }
        if (s.status !== seen.status || (s.analysis || null) !== seen.analysis || s.finished) {
          window.location.reload();
        } else { setTimeout(poll, 1500); }
      })
      .catch(function () { setTimeout(poll, 5000); });
  }
  setTimeout(poll, 1000);
})();
