/** The CORS contract of docs/api.md, applied to every response (success, refusal and OPTIONS). */
export const CORS_OPTIONS = {
  origin: '*',
  headers: 'Content-Type,X-Amz-Date,Authorization,X-Api-Key,X-Amz-Security-Token',
  methods: 'OPTIONS,POST',
  // OPTIONS is answered by API Gateway (and serverless-offline) from the `cors` block of serverless.yml;
  // if one ever reaches the function it is answered here, without running the use case.
  disableBeforePreflightResponse: false,
};

/** The same for GET /conversations. */
export const CORS_READ_OPTIONS = { ...CORS_OPTIONS, methods: 'OPTIONS,GET' };
