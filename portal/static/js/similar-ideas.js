/* While someone writes an idea, show the ideas already shared that look like it.
   Reads the lookup URL (and the idea to leave out) from #similar-box's data attributes. */
(function () {
  const box = document.getElementById('similar-box');
  if (!box) return;
  const list = document.getElementById('similar-list');
  const fields = ['title', 'problem', 'proposal', 'expected_benefit'].map(id => document.getElementById(id)).filter(Boolean);
  let timer = null, last = '';
  function lookup() {
    const text = fields.map(f => f.value).join(' ').trim();
    const key = text + '|' + ((document.querySelector('select[data-campaign-select]') || {}).value || '');
    if (text.length < 12 || key === last) return;
    last = key;
    const params = new URLSearchParams({text: text.slice(0, 5000)});
    if (box.dataset.exclude) params.set('exclude', box.dataset.exclude);
    const campaign = document.querySelector('select[data-campaign-select]');
    if (campaign && campaign.value !== '0') params.set('campaign', campaign.value);
    fetch(box.dataset.similarUrl + '?' + params, {headers: {'Accept': 'application/json'}})
      .then(r => r.ok ? r.json() : {ideas: []})
      .then(data => {
        list.replaceChildren();
        data.ideas.forEach(i => {
          const li = document.createElement('li'); li.className = 'border-bottom py-1';
          const a = document.createElement('a'); a.href = i.url; a.target = '_blank'; a.textContent = i.reference + ' ' + i.title;
          const meta = document.createElement('div'); meta.className = 'text-muted';
          meta.textContent = i.department + ' · ' + i.status + ' · ' + Math.round(i.score * 100) + '% alike';
          li.append(a, meta); list.append(li);
        });
        box.classList.toggle('d-none', data.ideas.length === 0);
      });
  }
  fields.forEach(f => f.addEventListener('input', () => { clearTimeout(timer); timer = setTimeout(lookup, 600); }));
  // Another campaign chosen: its ideas come first, so look again.
  const chosen = document.querySelector('select[data-campaign-select]');
  if (chosen) chosen.addEventListener('change', lookup);
  lookup();
})();
