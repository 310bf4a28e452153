/* The inbox is open: record it (a POST; opening a page never writes) and clear the badge.
   The URL and the CSRF token come from this script tag's data attributes. */
(function () {
  const tag = document.currentScript;
  const body = new URLSearchParams({csrf_token: tag.dataset.csrf});
  fetch(tag.dataset.url, {method: 'POST', credentials: 'same-origin', body: body})
    .then(function (response) {
      if (response.ok) {
        document.querySelectorAll('[data-unread]').forEach(function (badge) { badge.remove(); });
      }
    });
})();
