// The API reference page: Swagger UI (swagger-ui-dist, served from node_modules) over the
// engine's OpenAPI document. "Try it out" calls the API with the key typed in Authorize.
window.SwaggerUIBundle({
  url: '/openapi.json',
  dom_id: '#reference',
  deepLinking: true,
  tryItOutEnabled: false,
  validatorUrl: null,
});
