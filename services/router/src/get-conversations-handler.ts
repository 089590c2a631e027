import middy from '@middy/core';
import httpCors from '@middy/http-cors';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { CORS_READ_OPTIONS } from './cors';
import { createReadDeps, logger, metrics, tracing } from './dependencies';
import { listConversations } from './agent/list-conversations';
import { getConversations, GetConversationsDeps } from './get-conversations';
import { errorResponse, header, JSON_HEADERS } from './http';

/** Thin handler: HTTP in → getConversations → HTTP out. */
export const createGetConversationsHandler = (depsFactory: () => GetConversationsDeps) => {
  let deps: GetConversationsDeps | undefined;
  const handle = async (event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> => {
    metrics.addMetric('ConversationReads', MetricUnit.Count, 1);
    try {
      deps ??= depsFactory();
      const query = event.queryStringParameters ?? null;
      const apiKey = header(event, 'x-api-key');
      // Without a request_id: the project's conversations, a page at a time (the agents' queue with status=handed_off).
      const view =
        query && query.request_id === undefined && query.company_id !== undefined
          ? await listConversations({ query, apiKey }, deps)
          : await getConversations({ query, apiKey }, deps);
      return { statusCode: 200, headers: JSON_HEADERS, body: JSON.stringify(view) };
    } catch (error) {
      return errorResponse(error, event);
    }
  };
  return middy<APIGatewayProxyEvent, APIGatewayProxyResult>(handle)
    .use(tracing.middleware())
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(logMetrics(metrics))
    .use(httpCors(CORS_READ_OPTIONS));
};

export const handler = createGetConversationsHandler(createReadDeps);
