import { boolean, integer, optionalString, readConfig, requiredString } from '../../config/env';

/** Every channel processor's configuration, declared in its serverless.yml, read once per container. */
export interface ProcessorConfig {
  conversationsTable: string;
  messagesTable: string;
  optOutsTable: string;
  companyDataTable: string;
  /** The governor's buckets (docs/throughput.md) live beside the router's request counters. */
  rateLimitsTable: string;
  /** Pace sends to each sender's rate (default on; off only to measure what it prevents). */
  governorEnabled: boolean;
  queueUrl: string;
  processorVersion: string;
  heartbeatIntervalSeconds: number;
  retryBackoffBaseSeconds: number;
  retryBackoffMaxSeconds: number;
  secretsCacheSeconds: number;
  recordDeadlineSeconds: number;
  /** The client-events FIFO queue (services/client-events); absent: no events. */
  clientEventsQueueUrl: string | undefined;
}

export const readProcessorConfig = (env: NodeJS.ProcessEnv = process.env): ProcessorConfig =>
  readConfig<ProcessorConfig>(
    {
      conversationsTable: ['CONVERSATIONS_TABLE', requiredString],
      messagesTable: ['MESSAGES_TABLE', requiredString],
      optOutsTable: ['OPT_OUTS_TABLE', requiredString],
      companyDataTable: ['COMPANY_DATA_TABLE', requiredString],
      rateLimitsTable: ['RATE_LIMITS_TABLE', requiredString],
      governorEnabled: ['GOVERNOR_ENABLED', boolean(true)],
      queueUrl: ['QUEUE_URL', requiredString],
      clientEventsQueueUrl: ['CLIENT_EVENTS_QUEUE_URL', optionalString],
      processorVersion: ['PROCESSOR_VERSION', (e, name) => optionalString(e, name) ?? 'unknown'],
      // Well inside the 905 s visibility timeout: two missed beats still leave time.
      heartbeatIntervalSeconds: ['HEARTBEAT_INTERVAL_SECONDS', integer(120, { min: 1, max: 600 })],
      retryBackoffBaseSeconds: ['RETRY_BACKOFF_BASE_SECONDS', integer(30, { min: 0, max: 900 })],
      retryBackoffMaxSeconds: ['RETRY_BACKOFF_MAX_SECONDS', integer(900, { min: 0, max: 43200 })],
      secretsCacheSeconds: ['SECRETS_CACHE_SECONDS', integer(300, { min: 0, max: 3600 })],
      // One record's budget after its claim. The function times out at 900 s: a record that
      // hangs must give up well before, so the batch's other records still report their outcome.
      // The provider timeouts (30 s, the SDK's 429 retries) fit inside it many times.
      recordDeadlineSeconds: ['RECORD_DEADLINE_SECONDS', integer(600, { min: 5, max: 840 })],
    },
    env,
  );
