import { randomUUID } from 'node:crypto';
import middy from '@middy/core';
import httpCors from '@middy/http-cors';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { AppError, MAX_BODY_BYTES, requestIdForErrors, toHttpError, traceIdFrom } from '@ai-multi-comms/core';
import { CORS_OPTIONS } from './cors';
import { createDefaultDeps, logger, metrics, tracing } from './dependencies';
import { initiateConversation, InitiateConversationDeps } from './initiate-conversation';

const JSON_HEADERS = { 'Content-Type': 'application/json' };

const header = (event: APIGatewayProxyEvent, name: string): string | undefined => {
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(event.headers ?? {})) {
    if (key.toLowerCase() === wanted && typeof value === 'string') return value;
  }
  return undefined;
};

/**
 * The request id to echo in an error body: parsed leniently from the raw body, never trusted.
 * A body over the size limit is not parsed at all (that is what the limit is for).
 */
const requestIdOf = (event: APIGatewayProxyEvent): string => {
  if (event.isBase64Encoded || Buffer.byteLength(event.body ?? '', 'utf8') > MAX_BODY_BYTES) return 'unknown';
  try {
    return requestIdForErrors(JSON.parse(event.body ?? ''));
  } catch {
    return 'unknown';
  }
};

/** The one place where router failures become HTTP responses; 5xx details go to the log, never the body. */
const errorResponse = (error: unknown, event: APIGatewayProxyEvent): APIGatewayProxyResult => {
  const response = toHttpError(error, requestIdOf(event));
  const refused = metrics.singleMetric();
  refused.addDimension('error_code', response.body.error_code);
  refused.addMetric('RequestsRefused', MetricUnit.Count, 1);
  const context = { request_id: response.body.request_id, error_code: response.body.error_code, status_code: response.statusCode };
  if (response.statusCode >= 500) {
    logger.error('Request failed', { ...context, error: error as Error, cause: (error as AppError)?.cause as Error });
  } else {
    logger.info('Request refused', context);
  }
  return { statusCode: response.statusCode, headers: { ...JSON_HEADERS, ...response.headers }, body: JSON.stringify(response.body) };
};

/** Thin handler: HTTP in → use case → HTTP out. Dependencies are built at first use so that a configuration fault is a clean 500. */
export const createHandler = (depsFactory: () => InitiateConversationDeps) => {
  let deps: InitiateConversationDeps | undefined;
  const handle = async (event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> => {
    // Every request counts, so the invocation always publishes its metrics (refusals are single metrics with their code).
    metrics.addMetric('Requests', MetricUnit.Count, 1);
    const apiKey = header(event, 'x-api-key');
    // The client can set this header: only a well-formed value is carried on (observability/trace-id.ts).
    const traceId = traceIdFrom([header(event, 'x-amzn-trace-id'), event.requestContext?.requestId], randomUUID);
    logger.appendKeys({ trace_id: traceId });
    try {
      deps ??= depsFactory();
      const { replayed, ...body } = await initiateConversation(
        { rawBody: event.body, isBase64Encoded: event.isBase64Encoded, contentType: header(event, 'content-type'), apiKey, traceId },
        deps,
      );
      metrics.addMetric(replayed ? 'RequestsReplayed' : 'RequestsAccepted', MetricUnit.Count, 1);
      logger.appendKeys({ request_id: body.request_id });
      return { statusCode: 200, headers: JSON_HEADERS, body: JSON.stringify(body) };
    } catch (error) {
      return errorResponse(error, event);
    } finally {
      logger.removeKeys(['trace_id', 'request_id']);
    }
  };
  return middy<APIGatewayProxyEvent, APIGatewayProxyResult>(handle)
    .use(tracing.middleware())
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(logMetrics(metrics))
    .use(httpCors(CORS_OPTIONS));
};

export const handler = createHandler(createDefaultDeps);
