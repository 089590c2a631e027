import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { receiveTwilioMessage, TwilioWebhookDeps } from '@ai-multi-comms/core';
import { logger, metrics, tracing } from '../dependencies';
import { errorResponse, header } from '../http';
import { createTwilioWebhookDeps } from './webhook-dependencies';

/** POST /webhooks/twilio/messages: parse → verify, store, link, enqueue (core replies/) → empty TwiML. */
export const createTwilioMessagesHandler = (depsFactory: () => TwilioWebhookDeps) => {
  let deps: TwilioWebhookDeps | undefined;
  const handle = async (event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> => {
    try {
      deps ??= depsFactory();
      return await receiveTwilioMessage({ rawBody: event.body, isBase64Encoded: event.isBase64Encoded, contentType: header(event, 'content-type'), signature: header(event, 'x-twilio-signature') }, deps);
    } catch (error) {
      return errorResponse(error, event);
    }
  };
  return middy<APIGatewayProxyEvent, APIGatewayProxyResult>(handle).use(tracing.middleware()).use(injectLambdaContext(logger, { resetKeys: true })).use(logMetrics(metrics));
};

export const handler = createTwilioMessagesHandler(createTwilioWebhookDeps);
