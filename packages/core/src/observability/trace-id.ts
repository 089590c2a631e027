/**
 * The correlation id carried from the API request through the Context Object to the provider
 * call (`metadata.trace_id`). It comes from a header the client can set (`X-Amzn-Trace-Id`), so
 * it is taken only when it has the shape of one: printable ASCII without spaces and at most
 * TRACE_ID_MAX_LENGTH characters. X-Ray's own ids (`Root=1-…;Parent=…;Sampled=1`) are about
 * 80. Anything else is replaced, never passed on: the processor validates the Context Object
 * against the same limit, and a request the router accepted must never be refused after it.
 */
export const TRACE_ID_MAX_LENGTH = 256;

const TRACE_ID_SHAPE = new RegExp(`^[\\x21-\\x7e]{1,${TRACE_ID_MAX_LENGTH}}$`);

export const isUsableTraceId = (value: string | undefined): value is string => typeof value === 'string' && TRACE_ID_SHAPE.test(value);

/** The first usable candidate (header, API Gateway's request id…), else `fallback()`. */
export const traceIdFrom = (candidates: (string | undefined)[], fallback: () => string): string =>
  candidates.find(isUsableTraceId) ?? fallback();
