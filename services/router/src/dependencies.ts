import {
  cachedCompanyRepository,
  dynamoConversationEntries,
  dynamoConversationList,
  dynamoConversationRepository,
  dynamoDeliveryStatusStore,
  dynamoOptOutStore,
  dynamoThreadRepository,
  permanent,
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
import { GetConversationsDeps } from './get-conversations';
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
  // Two attempts of at most 1.5 s each: the API client is waiting, and a failed request still
  // releases its idempotency record and refunds its rate count (more calls to the same, possibly
  // hung, dependency) inside the function's 10 s, so the client gets the contract's 500, not
  // API Gateway's bare 502. A longer outage is better answered with a 5xx it can retry.
  const timeouts = { maxAttempts: 2, connectionTimeoutMs: 1000, requestTimeoutMs: 1500, instrument };
  const documentClient = createDynamoDocumentClient(timeouts);
  return {
    companies: cachedCompanyRepository(dynamoCompanyRepository(documentClient, config.companyDataTable), config.companyCacheSeconds * 1000),
    idempotency: dynamoIdempotencyStore(documentClient, config.idempotencyTable, {
      ttlSeconds: config.idempotencyTtlSeconds,
      inProgressSeconds: config.idempotencyInProgressSeconds,
    }),
    rateLimiter: dynamoRateLimiter(documentClient, config.rateLimitsTable),
    optOuts: dynamoOptOutStore(documentClient, config.optOutsTable),
    queue: sqsContextObjectQueue(createSqsClient(timeouts), config.composeQueueUrl),
    clock: systemClock,
    routerVersion: config.routerVersion,
    logger,
  };
};

/** GET /conversations' wiring: the same tables, read only. */
export const createReadDeps = (): GetConversationsDeps => {
  const config = routerConfig.get();
  if (!config.threadsTable || !config.conversationsTable || !config.messagesTable)
    throw permanent('CONFIGURATION_ERROR', 'The conversations cannot be read on this deployment; contact support.');
  const documentClient = createDynamoDocumentClient({ maxAttempts: 2, connectionTimeoutMs: 1000, requestTimeoutMs: 1500, instrument });
  return {
    companies: cachedCompanyRepository(dynamoCompanyRepository(documentClient, config.companyDataTable), config.companyCacheSeconds * 1000),
    threads: dynamoThreadRepository(documentClient, config.threadsTable),
    conversations: dynamoConversationRepository(documentClient, config.conversationsTable),
    list: dynamoConversationList(documentClient, config.conversationsTable),
    entries: dynamoConversationEntries(documentClient, config.messagesTable),
    idempotency: dynamoIdempotencyStore(documentClient, config.idempotencyTable, {
      ttlSeconds: config.idempotencyTtlSeconds,
      inProgressSeconds: config.idempotencyInProgressSeconds,
    }),
    deliveries: config.deliveryEventsTable
      ? dynamoDeliveryStatusStore(documentClient, config.deliveryEventsTable)
      : { current: async () => new Map() }, // a stage deployed before delivery callbacks
  };
};
