/* Behaviour every page may use, wired by data attributes (no inline handlers: the
   Content-Security-Policy allows scripts only from this site's files).
   - data-confirm="question" on a button or link: ask before going on.
   - data-check-all="name" on a checkbox: tick or untick every checkbox with that name. */
(function () {
  document.addEventListener('click', function (event) {
    const asking = event.target.closest('[data-confirm]');
    if (asking && !window.confirm(asking.dataset.confirm)) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  });
  document.querySelectorAll('input[data-check-all]').forEach(function (all) {
    all.addEventListener('change', function () {
      document.querySelectorAll('input[name="' + all.dataset.checkAll + '"]').forEach(function (box) {
        box.checked = all.checked;
      });
    });
  });
})();
