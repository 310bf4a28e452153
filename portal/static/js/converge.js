/* Behaviour every page may use, wired by data attributes (no inline handlers: the
   Content-Security-Policy allows scripts only from this site's files).
   - data-confirm="question" on a button or link: ask before going on.
   - data-check-all="name" on a checkbox: tick or untick every checkbox with that name.
   - data-campaign-select on a select: show only the [data-campaign-fields] block of the
     chosen campaign (the idea form's extra fields).
   - table.table-stack: each cell is labelled with its column's heading (data-label), which
     converge.css shows when the table stacks into cards at phone width. */
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
  document.querySelectorAll('select[data-campaign-select]').forEach(function (select) {
    select.addEventListener('change', function () {
      document.querySelectorAll('[data-campaign-fields]').forEach(function (block) {
        block.classList.toggle('d-none', block.dataset.campaignFields !== select.value);
      });
    });
  });
  document.querySelectorAll('table.table-stack').forEach(function (table) {
    const headings = Array.from(table.querySelectorAll('thead th')).map(function (th) {
      return th.textContent.trim();
    });
    table.querySelectorAll('tbody tr').forEach(function (row) {
      Array.from(row.children).forEach(function (cell, index) {
        if (!cell.hasAttribute('data-label') && headings[index]) {
          cell.setAttribute('data-label', headings[index]);
        }
      });
    });
  });
})();
