import middy from '@middy/core';
import httpCors from '@middy/http-cors';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { CORS_OPTIONS } from '../cors';
import { logger, metrics, tracing } from '../dependencies';
import { errorResponse, header, JSON_HEADERS } from '../http';
import type { AgentDeps } from './agent-deps';
import { createAgentDeps } from './agent-dependencies';
import { handBackConversation } from './hand-back-conversation';
import { postAgentMessage } from './post-agent-message';

type AgentUseCase = (
  input: { conversationId: string | undefined; rawBody: string | null; apiKey: string | undefined },
  deps: AgentDeps,
) => Promise<object>;

/** Thin handler: HTTP in → the agent use case → HTTP out (the errors through the one table of http.ts). */
export const createAgentHandler = (useCase: AgentUseCase, statusCode: number, metric: string, depsFactory: () => AgentDeps) => {
  let deps: AgentDeps | undefined;
  const handle = async (event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> => {
    try {
      deps ??= depsFactory();
      const body = event.isBase64Encoded && event.body ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
      const result = await useCase(
        { conversationId: event.pathParameters?.conversation_id, rawBody: body, apiKey: header(event, 'x-api-key') },
        deps,
      );
      metrics.addMetric(metric, MetricUnit.Count, 1);
      return { statusCode, headers: JSON_HEADERS, body: JSON.stringify(result) };
    } catch (error) {
      return errorResponse(error, event);
    }
  };
  return middy<APIGatewayProxyEvent, APIGatewayProxyResult>(handle)
    .use(tracing.middleware())
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(logMetrics(metrics))
    .use(httpCors(CORS_OPTIONS));
};

/** POST /conversations/{conversation_id}/messages: 202, queued on the thread's turn. */
export const postMessageHandler = createAgentHandler(postAgentMessage, 202, 'AgentMessagesAccepted', createAgentDeps);
/** POST /conversations/{conversation_id}/hand-back. */
export const handBackHandler = createAgentHandler(handBackConversation, 200, 'HandBacks', createAgentDeps);
