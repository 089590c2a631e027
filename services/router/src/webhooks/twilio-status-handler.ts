import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { receiveTwilioStatus, TwilioStatusDeps } from '@ai-multi-comms/core';
import { logger, metrics, tracing } from '../dependencies';
import { errorResponse, header } from '../http';
import { createTwilioStatusDeps } from './webhook-dependencies';

/** POST /webhooks/twilio/status: parse → verify, record the event, move the status forward (core delivery-status/) → empty TwiML. */
export const createTwilioStatusHandler = (depsFactory: () => TwilioStatusDeps) => {
  let deps: TwilioStatusDeps | undefined;
  const handle = async (event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> => {
    try {
      deps ??= depsFactory();
      return await receiveTwilioStatus({ rawBody: event.body, isBase64Encoded: event.isBase64Encoded, contentType: header(event, 'content-type'), signature: header(event, 'x-twilio-signature') }, deps);
    } catch (error) {
      return errorResponse(error, event);
    }
  };
  return middy<APIGatewayProxyEvent, APIGatewayProxyResult>(handle).use(tracing.middleware()).use(injectLambdaContext(logger, { resetKeys: true })).use(logMetrics(metrics));
};

export const handler = createTwilioStatusHandler(createTwilioStatusDeps);
