import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { receiveSendGridEvents, SendGridEventsDeps } from '@ai-multi-comms/core';
import { logger, metrics, tracing } from '../dependencies';
import { errorResponse, header } from '../http';
import { createSendGridEventsDeps } from './webhook-dependencies';

/** POST /webhooks/sendgrid/events: verify the ECDSA signature → record each event (core delivery-status/) → 200. */
export const createSendGridEventsHandler = (depsFactory: () => SendGridEventsDeps) => {
  let deps: SendGridEventsDeps | undefined;
  const handle = async (event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> => {
    try {
      deps ??= depsFactory();
      return await receiveSendGridEvents(
        {
          rawBody: event.body,
          isBase64Encoded: event.isBase64Encoded,
          signature: header(event, 'x-twilio-email-event-webhook-signature'),
          timestamp: header(event, 'x-twilio-email-event-webhook-timestamp'),
        },
        deps,
      );
    } catch (error) {
      return errorResponse(error, event);
    }
  };
  return middy<APIGatewayProxyEvent, APIGatewayProxyResult>(handle).use(tracing.middleware()).use(injectLambdaContext(logger, { resetKeys: true })).use(logMetrics(metrics));
};

export const handler = createSendGridEventsHandler(createSendGridEventsDeps);
