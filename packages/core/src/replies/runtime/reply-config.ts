import { boolean, integer, optionalString, readConfig, requiredString } from '../../config/env';

/** The reply function's configuration, declared in services/reply/serverless.yml, read once per container. */
export interface ReplyRuntimeConfig {
  inboundMessagesTable: string;
  conversationsTable: string;
  /** The conversation's message entries live here (conversation-entries.ts). */
  messagesTable: string;
  companyDataTable: string;
  optOutsTable: string;
  rateLimitsTable: string;
  governorEnabled: boolean;
  queueUrl: string;
  fanOutTopicArn: string;
  handOffTopicArn: string;
  retryBackoffBaseSeconds: number;
  retryBackoffMaxSeconds: number;
  secretsCacheSeconds: number;
  openAiMaxRetries: number;
  openAiTimeoutSeconds: number;
  /** The client-events FIFO queue (services/client-events); absent: no events. */
  clientEventsQueueUrl: string | undefined;
}

export const readReplyConfig = (env: NodeJS.ProcessEnv = process.env): ReplyRuntimeConfig =>
  readConfig<ReplyRuntimeConfig>(
    {
      inboundMessagesTable: ['INBOUND_MESSAGES_TABLE', requiredString],
      conversationsTable: ['CONVERSATIONS_TABLE', requiredString],
      messagesTable: ['MESSAGES_TABLE', requiredString],
      companyDataTable: ['COMPANY_DATA_TABLE', requiredString],
      optOutsTable: ['OPT_OUTS_TABLE', requiredString],
      rateLimitsTable: ['RATE_LIMITS_TABLE', requiredString],
      governorEnabled: ['GOVERNOR_ENABLED', boolean(true)],
      queueUrl: ['QUEUE_URL', requiredString],
      clientEventsQueueUrl: ['CLIENT_EVENTS_QUEUE_URL', optionalString],
      fanOutTopicArn: ['FAN_OUT_TOPIC_ARN', requiredString],
      handOffTopicArn: ['HAND_OFF_TOPIC_ARN', requiredString],
      retryBackoffBaseSeconds: ['RETRY_BACKOFF_BASE_SECONDS', integer(10, { min: 0, max: 900 })],
      retryBackoffMaxSeconds: ['RETRY_BACKOFF_MAX_SECONDS', integer(300, { min: 0, max: 43200 })],
      secretsCacheSeconds: ['SECRETS_CACHE_SECONDS', integer(300, { min: 0, max: 3600 })],
      // One turn: at most 30 s × (1 + 1 retry), inside the function's 90 s timeout.
      openAiMaxRetries: ['OPENAI_MAX_RETRIES', integer(1, { min: 0, max: 5 })],
      openAiTimeoutSeconds: ['OPENAI_TIMEOUT_SECONDS', integer(30, { min: 5, max: 80 })],
    },
    env,
  );
