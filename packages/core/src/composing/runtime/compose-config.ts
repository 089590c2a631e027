import { boolean, integer, optionalString, readConfig, requiredString } from '../../config/env';

/** The compose function's configuration, declared in services/compose/serverless.yml, read once per container. */
export interface ComposeRuntimeConfig {
  threadsTable: string;
  companyDataTable: string;
  /** The governor's buckets (docs/throughput.md), beside the router's request counters. */
  rateLimitsTable: string;
  governorEnabled: boolean;
  queueUrl: string;
  fanOutTopicArn: string;
  composerVersion: string;
  heartbeatIntervalSeconds: number;
  retryBackoffBaseSeconds: number;
  retryBackoffMaxSeconds: number;
  secretsCacheSeconds: number;
  openAiMaxRetries: number;
  openAiTimeoutSeconds: number;
  recordDeadlineSeconds: number;
}

export const readComposeConfig = (env: NodeJS.ProcessEnv = process.env): ComposeRuntimeConfig =>
  readConfig<ComposeRuntimeConfig>(
    {
      threadsTable: ['THREADS_TABLE', requiredString],
      companyDataTable: ['COMPANY_DATA_TABLE', requiredString],
      rateLimitsTable: ['RATE_LIMITS_TABLE', requiredString],
      governorEnabled: ['GOVERNOR_ENABLED', boolean(true)],
      queueUrl: ['QUEUE_URL', requiredString],
      fanOutTopicArn: ['FAN_OUT_TOPIC_ARN', requiredString],
      composerVersion: ['COMPOSER_VERSION', (e, name) => optionalString(e, name) ?? 'unknown'],
      // Well inside the 605 s visibility timeout: two missed beats still leave time.
      heartbeatIntervalSeconds: ['HEARTBEAT_INTERVAL_SECONDS', integer(120, { min: 1, max: 600 })],
      retryBackoffBaseSeconds: ['RETRY_BACKOFF_BASE_SECONDS', integer(30, { min: 0, max: 900 })],
      retryBackoffMaxSeconds: ['RETRY_BACKOFF_MAX_SECONDS', integer(900, { min: 0, max: 43200 })],
      secretsCacheSeconds: ['SECRETS_CACHE_SECONDS', integer(300, { min: 0, max: 3600 })],
      // Three channels' turns, each at most 60 s × (1 + 1 retry), fit inside the deadline.
      openAiMaxRetries: ['OPENAI_MAX_RETRIES', integer(1, { min: 0, max: 5 })],
      openAiTimeoutSeconds: ['OPENAI_TIMEOUT_SECONDS', integer(60, { min: 5, max: 600 })],
      // The function times out at 600 s; a record gives up well before, so its batch still reports.
      recordDeadlineSeconds: ['RECORD_DEADLINE_SECONDS', integer(540, { min: 5, max: 580 })],
    },
    env,
  );
