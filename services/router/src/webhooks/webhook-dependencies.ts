import { MetricUnit } from '@aws-lambda-powertools/metrics';
import {
  AcceptInboundDeps,
  cachedSecretReader,
  createDynamoDocumentClient,
  createSecretsManagerClient,
  createSqsClient,
  dynamoConversationFinder,
  dynamoInboundStore,
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
  return { ...accept, secrets, conversations, directory: dynamoSenderDirectory(documents, config.senderAddressesTable), webhookBaseUrl: config.webhookBaseUrl };
};

export const createSendGridInboundDeps = (): SendGridInboundDeps => {
  const { config, accept, secrets, conversations } = common();
  if (!config.inboundParseSecretId) throw permanent('CONFIGURATION_ERROR', 'Inbound e-mail is not configured on this deployment.');
  return { ...accept, secrets, conversations, parseCredentialsSecret: config.inboundParseSecretId };
};
