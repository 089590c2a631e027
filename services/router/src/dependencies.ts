import {
  cachedCompanyRepository,
  createDynamoDocumentClient,
  createLogger,
  createSqsClient,
  createTracing,
  dynamoCompanyRepository,
  dynamoIdempotencyStore,
  dynamoRateLimiter,
  systemClock,
} from '@ai-multi-comms/core';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { routerConfig } from './config';
import { InitiateConversationDeps } from './initiate-conversation';
import { sqsContextObjectQueue } from './ports/context-object-queue';

export const logger = createLogger('router');
// EMF metrics (structured log lines, no API call) and X-Ray; both configured by serverless.yml.
export const metrics = new Metrics({ serviceName: 'router', defaultDimensions: { stage: process.env.STAGE ?? 'local' } });
export const tracing = createTracing('router');
const instrument = <T>(client: T): T => tracing.instrument(client);

/** The production wiring: real AWS clients (endpoints from AWS_ENDPOINT_URL_* when local). */
export const createDefaultDeps = (): InitiateConversationDeps => {
  const config = routerConfig.get();
  // Two attempts: the API client is waiting; a longer outage is better answered with a 5xx it can retry.
  const documentClient = createDynamoDocumentClient({ maxAttempts: 2, instrument });
  return {
    companies: cachedCompanyRepository(dynamoCompanyRepository(documentClient, config.companyDataTable), config.companyCacheSeconds * 1000),
    idempotency: dynamoIdempotencyStore(documentClient, config.idempotencyTable, {
      ttlSeconds: config.idempotencyTtlSeconds,
      inProgressSeconds: config.idempotencyInProgressSeconds,
    }),
    rateLimiter: dynamoRateLimiter(documentClient, config.rateLimitsTable),
    queue: sqsContextObjectQueue(createSqsClient({ maxAttempts: 2, instrument }), {
      whatsapp: config.whatsappQueueUrl,
      sms: config.smsQueueUrl,
      email: config.emailQueueUrl,
    }),
    clock: systemClock,
    routerVersion: config.routerVersion,
    logger,
  };
};
