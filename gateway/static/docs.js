// The API docs page (docs.html): Swagger UI over the gateway's own OpenAPI document, from the vendored copy.
"use strict";
window.ui = SwaggerUIBundle({
  url: "/openapi.json",
  dom_id: "#swagger-ui",
  layout: "BaseLayout",
  deepLinking: true,
  showExtensions: true,
  showCommonExtensions: true,
  validatorUrl: null, // the default asks validator.swagger.io for a badge: nothing leaves the product
  presets: [SwaggerUIBundle.presets.apis],
});
