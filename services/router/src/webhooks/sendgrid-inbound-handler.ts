import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { receiveInboundEmail, SendGridInboundDeps } from '@ai-multi-comms/core';
import { logger, metrics, tracing } from '../dependencies';
import { errorResponse, header } from '../http';
import { createSendGridInboundDeps } from './webhook-dependencies';

/** POST /webhooks/sendgrid/inbound: Basic credentials → parse, store, link, enqueue (core replies/) → 200. */
export const createSendGridInboundHandler = (depsFactory: () => SendGridInboundDeps) => {
  let deps: SendGridInboundDeps | undefined;
  const handle = async (event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> => {
    try {
      deps ??= depsFactory();
      return await receiveInboundEmail({ rawBody: event.body, isBase64Encoded: event.isBase64Encoded, contentType: header(event, 'content-type'), authorization: header(event, 'authorization') }, deps);
    } catch (error) {
      return errorResponse(error, event);
    }
  };
  return middy<APIGatewayProxyEvent, APIGatewayProxyResult>(handle).use(tracing.middleware()).use(injectLambdaContext(logger, { resetKeys: true })).use(logMetrics(metrics));
};

export const handler = createSendGridInboundHandler(createSendGridInboundDeps);
