import { randomUUID } from 'node:crypto';
import { LeaseLost, ThreadItem, ThreadRepository } from '@ai-multi-comms/core';

/**
 * The threads table in memory, with the DynamoDB repository's observable rules: one claim at a
 * time holds a lease; a published or permanently failed thread is done; an expired lease or a
 * transient failure is taken over; every write after the claim needs the lease (LeaseLost otherwise).
 */
export const inMemoryThreads = (): ThreadRepository & { items: Map<string, ThreadItem> } => {
  const items = new Map<string, ThreadItem>();
  const leased = (threadKey: string, leaseToken: string, change: (item: ThreadItem) => void) => {
    const item = items.get(threadKey);
    if (!item || item.lease_owner !== leaseToken) throw new LeaseLost(threadKey);
    change(item);
  };
  return {
    items,
    get: async (threadKey) => items.get(threadKey),
    async claim(initial, now, leaseMs) {
      const leaseToken = randomUUID();
      const timestamp = now.toISOString();
      const existing = items.get(initial.thread_key);
      if (!existing) {
        const item: ThreadItem = {
          ...initial,
          status: 'composing',
          attempts: 1,
          lease_owner: leaseToken,
          lease_expires_at: now.getTime() + leaseMs,
          composed: {},
          created_at: timestamp,
          updated_at: timestamp,
        };
        items.set(initial.thread_key, item);
        return { outcome: 'claimed', item: structuredClone(item), leaseToken, attempt: 1 };
      }
      if (existing.status === 'published' || (existing.status === 'failed' && existing.failure_class === 'permanent'))
        return { outcome: 'done', item: existing };
      if (existing.status === 'composing' && (existing.lease_expires_at ?? 0) > now.getTime())
        return { outcome: 'busy', item: existing, retryInMs: (existing.lease_expires_at ?? 0) - now.getTime() };
      Object.assign(existing, {
        status: 'composing',
        attempts: existing.attempts + 1,
        lease_owner: leaseToken,
        lease_expires_at: now.getTime() + leaseMs,
        updated_at: timestamp,
      });
      delete existing.failure_reason;
      delete existing.failure_class;
      return { outcome: 'claimed', item: structuredClone(existing), leaseToken, attempt: existing.attempts };
    },
    extendLease: async (threadKey, leaseToken, until) => leased(threadKey, leaseToken, (item) => (item.lease_expires_at = until.getTime())),
    recordThreadId: async (threadKey, leaseToken, threadId) => leased(threadKey, leaseToken, (item) => (item.thread_id = threadId)),
    recordPart: async (threadKey, leaseToken, channel, part) =>
      leased(threadKey, leaseToken, (item) => (item.composed = { ...item.composed, [channel]: part })),
    markPublished: async (threadKey, leaseToken, now) =>
      leased(threadKey, leaseToken, (item) => {
        Object.assign(item, { status: 'published', published_at: now.toISOString() });
        delete item.lease_owner;
        delete item.lease_expires_at;
      }),
    recordFailure: async (threadKey, leaseToken, failure) =>
      leased(threadKey, leaseToken, (item) => {
        Object.assign(item, { status: 'failed', failure_reason: failure.reason, failure_class: failure.failureClass });
        delete item.lease_owner;
        delete item.lease_expires_at;
      }),
  };
};
