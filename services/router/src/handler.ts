import { randomUUID } from 'node:crypto';
import middy from '@middy/core';
import httpCors from '@middy/http-cors';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { traceIdFrom } from '@ai-multi-comms/core';
import { CORS_OPTIONS } from './cors';
import { createDefaultDeps, logger, metrics, tracing } from './dependencies';
import { errorResponse, header, JSON_HEADERS } from './http';
import { initiateConversation, InitiateConversationDeps } from './initiate-conversation';

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
