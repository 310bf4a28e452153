/* A scenario run still working: poll its status; reload the page when the run's status, its
   analysis or its explanations' state changes, and while the explanations come in part by
   part, swap in the "why these ideas are not in" card (no reload, the reader keeps their
   place). The URLs and the state the page shows come from this script tag's data attributes. */
(function () {
  const tag = document.currentScript;
  const url = tag.dataset.statusUrl;
  const cardUrl = tag.dataset.notSelectedUrl;
  const seen = {
    status: tag.dataset.status,
    analysis: tag.dataset.analysis || null,
    explained: tag.dataset.explained || 'none',
    parts: Number(tag.dataset.partsFinished || 0),
  };
  const elapsed = document.querySelector('[data-elapsed]');
  const count = document.querySelector('[data-explained-count]');
  const card = document.querySelector('[data-not-selected]');

  function refreshCard() {
    return fetch(cardUrl, {credentials: 'same-origin', headers: {'Accept': 'text/html'}})
      .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.text(); })
      .then(function (html) { card.innerHTML = html; });
  }

  function poll() {
    fetch(url, {credentials: 'same-origin', headers: {'Accept': 'application/json'}})
      .then(function (r) { return r.json(); })
      .then(function (s) {
        const x = s.explained || {state: 'none'};
        if (elapsed) { elapsed.textContent = s.elapsed; }
        if (count && x.explained !== undefined) { count.textContent = x.explained.toLocaleString('en-US'); }
        if (s.status !== seen.status || (s.analysis || null) !== seen.analysis ||
            x.state !== seen.explained || s.finished) {
          window.location.reload();
          return;
        }
        const parts = x.parts_finished || 0;
        if (card && cardUrl && parts !== seen.parts) {
          seen.parts = parts;
          refreshCard().catch(function () { seen.parts = -1; });  /* try again next time */
        }
        setTimeout(poll, 1500);
      })
      .catch(function () { setTimeout(poll, 5000); });
  }
  setTimeout(poll, 1000);
})();
