import { EnvReader, integer, lazy, optionalString, readConfig, requiredString } from '@ai-multi-comms/core';

/** The router's configuration, declared in serverless.yml, read once per container. */
export interface RouterConfig {
  companyDataTable: string;
  idempotencyTable: string;
  rateLimitsTable: string;
  optOutsTable: string;
  composeQueueUrl: string;
  threadsTable: string | undefined;
  conversationsTable: string | undefined;
  messagesTable: string | undefined;
  deliveryEventsTable: string | undefined;
  routerVersion: string;
  idempotencyTtlSeconds: number;
  idempotencyInProgressSeconds: number;
  companyCacheSeconds: number;
}

/** How stale a warm container's copy of a project's configuration may be (0: always read); the webhooks read it too. */
export const COMPANY_CACHE_SECONDS: [string, EnvReader<number>] = ['COMPANY_CACHE_SECONDS', integer(15, { min: 0, max: 300 })];

export const routerConfig = lazy(() =>
  readConfig<RouterConfig>({
    companyDataTable: ['COMPANY_DATA_TABLE', requiredString],
    idempotencyTable: ['IDEMPOTENCY_TABLE', requiredString],
    rateLimitsTable: ['RATE_LIMITS_TABLE', requiredString],
    optOutsTable: ['OPT_OUTS_TABLE', requiredString],
    composeQueueUrl: ['COMPOSE_QUEUE_URL', requiredString],
    // Read by GET /conversations only.
    threadsTable: ['THREADS_TABLE', optionalString],
    conversationsTable: ['CONVERSATIONS_TABLE', optionalString],
    messagesTable: ['MESSAGES_TABLE', optionalString],
    deliveryEventsTable: ['DELIVERY_EVENTS_TABLE', optionalString],
    routerVersion: ['ROUTER_VERSION', (env, name) => optionalString(env, name) ?? 'unknown'],
    // docs/api.md: records are kept at least 24 hours.
    idempotencyTtlSeconds: ['IDEMPOTENCY_TTL_SECONDS', integer(24 * 3600, { min: 24 * 3600 })],
    // Longer than the function's 10 s timeout, so a live first attempt is never overtaken.
    idempotencyInProgressSeconds: ['IDEMPOTENCY_IN_PROGRESS_SECONDS', integer(15, { min: 1, max: 900 })],
    companyCacheSeconds: COMPANY_CACHE_SECONDS,
  }),
);
