/* Start Swagger UI on the API docs page. The spec URL and the portal's Swagger settings come
   from this script tag's data attributes; the validator badge is off (it would load an
   image from swagger.io). */
(function () {
  const tag = document.currentScript;
  const config = {url: tag.dataset.specUrl, dom_id: '#swagger-ui-container', validatorUrl: null};
  Object.assign(config, JSON.parse(tag.dataset.config || '{}'));
  window.ui = SwaggerUIBundle(config);
})();
