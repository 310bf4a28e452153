/* Limits people can see: every field with data-limit="N" (set by the forms instead of
   maxlength, which would cut pasted text silently) gets a counter below it. Text areas
   always show it; one-line fields once they are near their limit. Over the limit the
   counter turns red and says so; the server refuses the text with the same limit. */
(function () {
  const format = new Intl.NumberFormat('en');
  document.querySelectorAll('[data-limit]').forEach(function (field) {
    if (field.type === 'password' || field.type === 'hidden') { return; }
    const limit = parseInt(field.dataset.limit, 10);
    if (!limit) { return; }
    const counter = document.createElement('div');
    counter.className = 'form-text text-limit';
    counter.id = (field.id || field.name) + '-limit';
    counter.setAttribute('aria-live', 'polite');
    const described = field.getAttribute('aria-describedby');
    field.setAttribute('aria-describedby', (described ? described + ' ' : '') + counter.id);
    field.insertAdjacentElement('afterend', counter);
    function update() {
      const length = field.value.length;
      const over = length > limit;
      counter.textContent = format.format(length) + ' / ' + format.format(limit) + ' characters' +
        (over ? ' — ' + format.format(length - limit) + ' too many' : '');
      counter.classList.toggle('text-danger', over);
      counter.classList.toggle('fw-semibold', over);
      counter.hidden = field.tagName !== 'TEXTAREA' && length < limit * 0.8;
    }
    field.addEventListener('input', update);
    update();
  });
})();
