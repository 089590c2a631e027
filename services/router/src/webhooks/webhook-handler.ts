import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import type { WebhookResponse } from '@ai-multi-comms/core';
import { logger, metrics, tracing } from '../dependencies';
import { errorResponse, header } from '../http';

/** What every webhook reads of the API Gateway event: the raw body and the headers that authenticate it. */
export interface RawCall {
  rawBody: string | null;
  isBase64Encoded: boolean;
  header(name: string): string | undefined;
  /** A path parameter of the route (e.g. the project an Event Webhook URL names), URL-decoded. */
  pathParameter(name: string): string | undefined;
}

/**
 * A provider webhook's Lambda handler: the event → the use case (core, which verifies first) →
 * its answer; any failure through the API's one error mapping (never a stack trace or a secret in
 * a body). Dependencies are built at first use, so a configuration fault is a clean 500.
 */
export const webhookHandler = <Request, Deps>(
  useCase: (request: Request, deps: Deps) => Promise<WebhookResponse>,
  requestOf: (call: RawCall) => Request,
  depsFactory: () => Deps,
) => {
  let deps: Deps | undefined;
  const handle = async (event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> => {
    try {
      deps ??= depsFactory();
      const pathParameter = (name: string) => {
        const value = event.pathParameters?.[name];
        if (value === undefined || value === null) return undefined;
        try {
          return decodeURIComponent(value);
        } catch {
          return value;
        }
      };
      return await useCase(
        requestOf({ rawBody: event.body, isBase64Encoded: event.isBase64Encoded, header: (name) => header(event, name), pathParameter }),
        deps,
      );
    } catch (error) {
      return errorResponse(error, event);
    }
  };
  return middy<APIGatewayProxyEvent, APIGatewayProxyResult>(handle)
    .use(tracing.middleware())
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(logMetrics(metrics));
};

/** Twilio's two webhooks read the same: form body and signature. */
export const twilioCallOf = (call: RawCall) => ({
  rawBody: call.rawBody,
  isBase64Encoded: call.isBase64Encoded,
  contentType: call.header('content-type'),
  signature: call.header('x-twilio-signature'),
});
