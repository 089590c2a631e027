import { randomUUID } from 'node:crypto';
import { ConversationItem, ConversationRepository } from '@ai-multi-comms/core';

/** A conversations repository in memory, for measuring the pipeline's own cost without a database. */
export const inMemoryConversations = (): ConversationRepository => {
  const items = new Map<string, ConversationItem>();
  const keyOf = (key: { conversation_id: string }) => key.conversation_id;
  return {
    get: async (key) => items.get(keyOf(key)),
    async claim(key, initial, now, leaseMs) {
      const existing = items.get(keyOf(key));
      if (existing) return { outcome: 'done', item: existing };
      const item = { ...initial, ...key, conversation_status: 'processing', attempts: 1, lease_owner: randomUUID(), lease_expires_at: now.getTime() + leaseMs, created_at: now.toISOString(), updated_at: now.toISOString() } as ConversationItem;
      items.set(keyOf(key), item);
      return { outcome: 'claimed', item, leaseToken: item.lease_owner!, attempt: 1, takenOver: false };
    },
    extendLease: async () => undefined,
    recordThread: async (key, _token, threadId) => void (items.get(keyOf(key))!.thread_id = threadId),
    markSendStarted: async (key, _token, now) => (items.get(keyOf(key))!.send_started_at = now.toISOString()),
    complete: async (key, update) => {
      const item = items.get(keyOf(key))!;
      item.conversation_status = 'initial_message_sent';
      item.messages = [update.message];
    },
    recordFailure: async () => undefined,
    recordUnclaimedFailure: async () => undefined,
  };
};
