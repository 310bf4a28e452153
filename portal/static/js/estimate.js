/* The estimate form's live strategic value: the weighted impacts as a score out of 100,
   updated as each impact is chosen (the weights are on each select's data-weight). */
(function () {
  const selects = document.querySelectorAll('select.impact');
  const out = document.getElementById('live-value');
  if (!out) return;
  function update() {
    let total = 0, score = 0;
    selects.forEach(s => { const w = parseFloat(s.dataset.weight) || 0; total += w; score += w * (parseInt(s.value) || 0); });
    out.textContent = total > 0 ? (100 * score / (4 * total)).toFixed(1) : '0.0';
  }
  selects.forEach(s => s.addEventListener('change', update));
  update();
})();
