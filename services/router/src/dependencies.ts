import {
  cachedCompanyRepository,
  createDynamoDocumentClient,
  createLogger,
  createSqsClient,
  dynamoCompanyRepository,
  dynamoIdempotencyStore,
  dynamoRateLimiter,
  systemClock,
} from '@ai-multi-comms/core';
import { routerConfig } from './config';
import { InitiateConversationDeps } from './initiate-conversation';
import { sqsContextObjectQueue } from './ports/context-object-queue';

export const logger = createLogger('router');

/** The production wiring: real AWS clients (endpoints from AWS_ENDPOINT_URL_* when local). */
export const createDefaultDeps = (): InitiateConversationDeps => {
  const config = routerConfig.get();
  // Two attempts: the API client is waiting; a longer outage is better answered with a 5xx it can retry.
  const documentClient = createDynamoDocumentClient({ maxAttempts: 2 });
  return {
    companies: cachedCompanyRepository(dynamoCompanyRepository(documentClient, config.companyDataTable), config.companyCacheSeconds * 1000),
    idempotency: dynamoIdempotencyStore(documentClient, config.idempotencyTable, {
      ttlSeconds: config.idempotencyTtlSeconds,
      inProgressSeconds: config.idempotencyInProgressSeconds,
    }),
    rateLimiter: dynamoRateLimiter(documentClient, config.rateLimitsTable),
    queue: sqsContextObjectQueue(createSqsClient({ maxAttempts: 2 }), {
      whatsapp: config.whatsappQueueUrl,
      sms: config.smsQueueUrl,
      email: config.emailQueueUrl,
    }),
    clock: systemClock,
    routerVersion: config.routerVersion,
    logger,
  };
};
