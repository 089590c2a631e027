import {
  BeginOutcome,
  CompanyProject,
  conflict,
  ContextObject,
  ErrorCodes,
  IdempotencyStore,
  RateLimiter,
  rateLimited,
  StoredResponse,
  sha256Hex,
} from '@ai-multi-comms/core';
import { InitiateConversationDeps } from '../src/initiate-conversation';
import { ContextObjectQueue } from '../src/ports/context-object-queue';

export const API_KEY = 'unit-test-api-key-0000000000000001';

/** In-memory stand-ins with the same observable rules as the DynamoDB/SQS adapters. */
export const memoryIdempotency = () => {
  const records = new Map<string, { hash: string; status: 'IN_PROGRESS' | 'COMPLETED'; response?: StoredResponse }>();
  const store: IdempotencyStore = {
    async begin(key, hash): Promise<BeginOutcome> {
      const existing = records.get(key);
      if (!existing) {
        records.set(key, { hash, status: 'IN_PROGRESS' });
        return { state: 'started' };
      }
      if (existing.hash !== hash) throw conflict(ErrorCodes.IDEMPOTENCY_CONFLICT, 'conflict');
      if (existing.status === 'COMPLETED') return { state: 'completed', response: existing.response! };
      throw conflict(ErrorCodes.IDEMPOTENCY_IN_PROGRESS, 'in progress', 1);
    },
    async complete(key, response) {
      records.set(key, { ...records.get(key)!, status: 'COMPLETED', response });
    },
    async release(key) {
      if (records.get(key)?.status === 'IN_PROGRESS') records.delete(key);
    },
    async peek(key) {
      const record = records.get(key);
      return record?.status === 'COMPLETED' ? record.response : undefined;
    },
  };
  return { store, records };
};

export const memoryRateLimiter = () => {
  const counts = new Map<string, number>();
  const limiter: RateLimiter = {
    async consume(scope, limits) {
      const count = counts.get(scope) ?? 0;
      if (limits.perMinute !== undefined && count >= limits.perMinute) throw rateLimited(ErrorCodes.RATE_LIMIT_EXCEEDED, 'limit', 30);
      counts.set(scope, count + 1);
    },
    async refund(scope) {
      counts.set(scope, (counts.get(scope) ?? 1) - 1);
    },
  };
  return { limiter, counts };
};

export const recordingQueue = () => {
  const sent: { contextObject: ContextObject; routerTimestamp: string }[] = [];
  let failures = 0;
  const queue: ContextObjectQueue = {
    async enqueue(contextObject, routerTimestamp) {
      if (failures > 0) {
        failures -= 1;
        const { transient } = await import('@ai-multi-comms/core');
        throw transient(ErrorCodes.QUEUE_ERROR, 'The request could not be queued. Please retry; retrying is safe.');
      }
      sent.push({ contextObject, routerTimestamp });
    },
  };
  return { queue, sent, failNext: (n = 1) => (failures = n) };
};

export const company = (patch?: (item: CompanyProject) => void): CompanyProject => {
  const item: CompanyProject = {
    company_id: 'ci-aaa-001',
    project_id: 'pi-aaa-001',
    company_name: 'Acme',
    project_name: 'Carers',
    project_status: 'active',
    allowed_channels: ['whatsapp'],
    api_key_sha256: [sha256Hex(API_KEY)],
    rate_limits: { requests_per_minute: 100 },
    ai_config: {
      openai_config: { whatsapp: { api_key_reference: 'ai-multi-comms/openai-api-key/whatsapp-dev', model: 'm', instructions: 'i' } },
    },
    channel_config: {
      whatsapp: { company_whatsapp_number: '+447700900001', whatsapp_credentials_id: 'ai-multi-comms/whatsapp-credentials/a/b/twilio-dev' },
    },
    created_at: '2025-01-01T00:00:00.000Z',
    updated_at: '2025-01-01T00:00:00.000Z',
  };
  patch?.(item);
  return item;
};

export const fakeDeps = (items: CompanyProject[] = [company()]) => {
  const idempotency = memoryIdempotency();
  const rate = memoryRateLimiter();
  const queue = recordingQueue();
  const reads: string[] = [];
  const deps: InitiateConversationDeps = {
    companies: {
      get: async (c, p) => {
        reads.push(`${c}/${p}`);
        return items.find((item) => item.company_id === c && item.project_id === p);
      },
      put: async () => undefined,
    },
    idempotency: idempotency.store,
    rateLimiter: rate.limiter,
    optOuts: { optedOutChannels: async () => [] },
    queue: queue.queue,
    clock: { now: () => new Date('2026-03-01T12:00:00.000Z') },
    routerVersion: 'test',
    logger: { info: () => undefined, warn: () => undefined, error: () => undefined } as unknown as InitiateConversationDeps['logger'],
  };
  return { deps, idempotency, rate, queue, reads };
};
