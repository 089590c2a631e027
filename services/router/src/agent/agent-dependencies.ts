import {
  cachedCompanyRepository,
  createDynamoDocumentClient,
  createSqsClient,
  dynamoCompanyRepository,
  dynamoConversationFinder,
  dynamoConversationList,
  dynamoHandBack,
  dynamoInboundStore,
  dynamoOptOutStore,
  sqsReplyQueue,
  systemClock,
} from '@ai-multi-comms/core';
import { tracing } from '../dependencies';
import { webhookConfig } from '../webhooks/webhook-config';
import { clientEventsOf } from '../webhooks/webhook-dependencies';
import type { AgentDeps } from './agent-deps';

const instrument = <T>(client: T): T => tracing.instrument(client);

/** The agent API's wiring: the webhooks' tables and the reply queue (an agent's message joins its thread's turn there). */
export const createAgentDeps = (): AgentDeps => {
  const config = webhookConfig.get();
  const timeouts = { maxAttempts: 2, connectionTimeoutMs: 1000, requestTimeoutMs: 1500, instrument };
  const documents = createDynamoDocumentClient(timeouts);
  return {
    companies: cachedCompanyRepository(dynamoCompanyRepository(documents, config.companyDataTable), config.companyCacheSeconds * 1000),
    conversations: dynamoConversationFinder(documents, { conversations: config.conversationsTable, messages: config.messagesTable }),
    optOuts: dynamoOptOutStore(documents, config.optOutsTable),
    inbound: dynamoInboundStore(documents, config.inboundMessagesTable),
    queue: sqsReplyQueue(createSqsClient(timeouts), config.replyQueueUrl),
    handBack: dynamoHandBack(documents, config.conversationsTable),
    list: dynamoConversationList(documents, config.conversationsTable),
    clock: systemClock,
    ...clientEventsOf(config),
  };
};
