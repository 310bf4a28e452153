/* Behaviour every page may use, wired by data attributes (no inline handlers: the
   Content-Security-Policy allows scripts only from this site's files).
   - data-confirm="question" on a button or link: ask before going on.
   - data-check-all="name" on a checkbox: tick or untick every checkbox with that name.
   - data-campaign-select on a select: show only the [data-campaign-fields] block of the
     chosen campaign (the idea form's extra fields).
   - table.table-stack: each cell is labelled with its column's heading (data-label), which
     converge.css shows when the table stacks into cards at phone width.
   - a field marked invalid loses its mark and its message once it is changed (the server
     checks it again on the next submit).
   - data-page-url on a page shown again after a refused post (the message by its field):
     the address bar shows the page's own address, not the address the form posted to. */
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
  function clearError(event) {
    const field = event.target;
    if (!field.classList || !field.classList.contains('is-invalid')) return;
    field.classList.remove('is-invalid');
    let next = field.nextElementSibling;
    for (; next; next = next.nextElementSibling) {
      if (next.classList.contains('invalid-feedback')) {
        next.classList.remove('d-block');
        next.classList.add('d-none');
      }
    }
  }
  document.addEventListener('input', clearError);
  document.addEventListener('change', clearError);
  const page = document.querySelector('[data-page-url]');
  if (page && window.location.pathname !== page.dataset.pageUrl) {
    window.history.replaceState(null, '', page.dataset.pageUrl + window.location.hash);
  }
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
