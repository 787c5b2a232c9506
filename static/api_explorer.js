// The API explorer (/api/explorer/): Swagger UI, served from this site's static files
// (drf-spectacular-sidecar ships them), reading /api/openapi.json.
(function () {
  "use strict";
  var root = document.getElementById("swagger-ui");
  function csrfToken() {
    var match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : "";
  }
  window.SwaggerUIBundle({
    url: root.dataset.schemaUrl,
    dom_id: "#swagger-ui",
    deepLinking: true,
    // No badge from validator.swagger.io: it would send this site's schema URL to a third party, and
    // the site's Content-Security-Policy (img-src 'self') refuses its image anyway.
    validatorUrl: null,
    // "Try it out" from a logged-in page sends the session cookie: writes then need the CSRF token,
    // as from any page of the site. A request with a Bearer token needs none and ignores it.
    requestInterceptor: function (request) {
      if (request.method !== "GET" && request.method !== "HEAD") {
        request.headers["X-CSRFToken"] = csrfToken();
      }
      return request;
    },
  });
})();
