import { MetricUnit } from '@aws-lambda-powertools/metrics';
import {
  AcceptInboundDeps,
  cachedCompanyRepository,
  cachedSecretReader,
  ClientEvents,
  sqsClientEvents,
  createDynamoDocumentClient,
  createSecretsManagerClient,
  createSqsClient,
  dynamoCompanyRepository,
  dynamoConversationFinder,
  dynamoDeliveryStatusStore,
  dynamoProviderMessageOwners,
  dynamoProviderSightings,
  SendGridEventsDeps,
  TwilioStatusDeps,
  RecordDeliveryDeps,
  dynamoInboundStore,
  dynamoLatestInbound,
  dynamoOptOutStore,
  dynamoSenderDirectory,
  permanent,
  SendGridInboundDeps,
  sqsReplyQueue,
  systemClock,
  TwilioWebhookDeps,
} from '@ai-multi-comms/core';
import { logger, metrics, tracing } from '../dependencies';
import { webhookConfig } from './webhook-config';

const instrument = <T>(client: T): T => tracing.instrument(client);

/** Shared by both webhooks: the inbound store, opt-outs, the reply queue, the conversation lookups. */
const common = () => {
  const config = webhookConfig.get();
  // A provider retries a webhook that fails: short timeouts, and a 5xx is the honest answer to an outage.
  const timeouts = { maxAttempts: 2, connectionTimeoutMs: 1000, requestTimeoutMs: 2000, instrument };
  const documents = createDynamoDocumentClient(timeouts);
  const accept: AcceptInboundDeps = {
    inbound: dynamoInboundStore(documents, config.inboundMessagesTable),
    optOuts: dynamoOptOutStore(documents, config.optOutsTable),
    queue: sqsReplyQueue(createSqsClient(timeouts), config.replyQueueUrl),
    latest: dynamoLatestInbound(documents, config.conversationsTable),
    clock: systemClock,
    metrics: { count: (name, value = 1) => metrics.addMetric(name, MetricUnit.Count, value) },
    logger,
  };
  return {
    config,
    documents,
    accept,
    secrets: cachedSecretReader(createSecretsManagerClient(timeouts), 300_000),
    conversations: dynamoConversationFinder(documents, { conversations: config.conversationsTable, messages: config.messagesTable }),
  };
};

export const createTwilioWebhookDeps = (): TwilioWebhookDeps => {
  const { config, documents, accept, secrets, conversations } = common();
  return {
    ...accept,
    secrets,
    conversations,
    directory: dynamoSenderDirectory(documents, config.senderAddressesTable),
    webhookBaseUrl: config.webhookBaseUrl,
  };
};

export const createSendGridInboundDeps = (): SendGridInboundDeps => {
  const { config, accept, secrets, conversations } = common();
  if (!config.inboundParseSecretId) throw permanent('CONFIGURATION_ERROR', 'Inbound e-mail is not configured on this deployment.');
  return { ...accept, secrets, conversations, parseCredentialsSecret: config.inboundParseSecretId };
};

/** The status webhooks' shared part: the delivery-events table, the projects (for their retention), and a metric per final failure by channel and error code. */
/** The client-events queue, when the deployment has one (its own SQS client: events are not on the webhook's critical path). */
export const clientEventsOf = (config: { clientEventsQueueUrl: string | undefined }): { events?: ClientEvents } =>
  config.clientEventsQueueUrl
    ? {
        events: sqsClientEvents(
          createSqsClient({ maxAttempts: 2, connectionTimeoutMs: 1000, requestTimeoutMs: 2000, instrument }),
          config.clientEventsQueueUrl,
        ),
      }
    : {};

const delivery = (
  config: ReturnType<typeof webhookConfig.get>,
  documents: ReturnType<typeof createDynamoDocumentClient>,
): RecordDeliveryDeps => ({
  store: dynamoDeliveryStatusStore(documents, config.deliveryEventsTable),
  owners: dynamoProviderMessageOwners(documents, config.messagesTable),
  projects: cachedCompanyRepository(dynamoCompanyRepository(documents, config.companyDataTable), config.companyCacheSeconds * 1000),
  clock: systemClock,
  logger,
  ...clientEventsOf(config),
  metrics: {
    count: (name, value = 1) => metrics.addMetric(name, MetricUnit.Count, value),
    failure: (channel, errorCode) => {
      // Per channel (the failure-rate alarm), and per channel and provider code (which failure).
      const byChannel = metrics.singleMetric();
      byChannel.addDimension('channel', channel);
      byChannel.addMetric('DeliveryFailures', MetricUnit.Count, 1);
      const byCode = metrics.singleMetric();
      byCode.addDimensions({ channel, error_code: errorCode });
      byCode.addMetric('DeliveryFailuresByCode', MetricUnit.Count, 1);
    },
  },
});

export const createTwilioStatusDeps = (): TwilioStatusDeps => {
  const { config, documents, secrets } = common();
  return {
    ...delivery(config, documents),
    secrets,
    directory: dynamoSenderDirectory(documents, config.senderAddressesTable),
    webhookBaseUrl: config.webhookBaseUrl,
  };
};

export const createSendGridEventsDeps = (): SendGridEventsDeps => {
  const { config, documents, secrets, conversations, accept } = common();
  return {
    ...delivery(config, documents),
    secrets,
    conversations,
    optOuts: accept.optOuts,
    sightings: dynamoProviderSightings(documents, config.messagesTable),
  };
};
