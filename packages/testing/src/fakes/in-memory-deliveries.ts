import { randomUUID } from 'node:crypto';
import { DeliveryKey, DeliveryRepository, isFinished, LeaseLost, MessageItem } from '@ai-multi-comms/core';

/**
 * The messages' delivery items in memory, with the DynamoDB repository's observable rules
 * (docs/processing.md): one claim holds a lease; a sent or permanently failed message is done; a
 * live lease is busy; an expired lease or a transient failure is taken over; every write after
 * the claim needs the lease (LeaseLost otherwise), except the final record, which must land once
 * the provider has the message. For unit tests of the send pipeline and in-process benches.
 */
export const inMemoryDeliveries = (): DeliveryRepository & { items: Map<string, MessageItem> } => {
  const items = new Map<string, MessageItem>();
  const keyOf = (key: DeliveryKey) => `${key.conversation.conversation_id}#${key.messageKey}`;
  const leased = (key: DeliveryKey, leaseToken: string): MessageItem => {
    const item = items.get(keyOf(key));
    if (!item || item.lease_owner !== leaseToken) throw new LeaseLost(key.conversation.conversation_id);
    return item;
  };
  return {
    items,
    getMessage: async (key) => items.get(keyOf(key)),
    async claim(key, conversation, now, leaseMs) {
      const leaseToken = randomUUID();
      const existing = items.get(keyOf(key));
      if (!existing) {
        const item: MessageItem = {
          conversation_id: key.conversation.conversation_id,
          message_key: key.messageKey,
          primary_channel: key.conversation.primary_channel,
          channel: conversation.channel_method as MessageItem['channel'],
          message_status: 'processing',
          attempts: 1,
          lease_owner: leaseToken,
          lease_expires_at: now.getTime() + leaseMs,
          created_at: now.toISOString(),
          updated_at: now.toISOString(),
        };
        items.set(keyOf(key), item);
        return { outcome: 'claimed', item: { ...item }, leaseToken, attempt: 1, takenOver: false };
      }
      if (isFinished(existing)) return { outcome: 'done', item: existing };
      if (existing.message_status === 'processing' && (existing.lease_expires_at ?? 0) > now.getTime()) {
        return { outcome: 'busy', item: existing, retryInMs: (existing.lease_expires_at ?? 0) - now.getTime() };
      }
      Object.assign(existing, {
        message_status: 'processing',
        attempts: existing.attempts + 1,
        lease_owner: leaseToken,
        lease_expires_at: now.getTime() + leaseMs,
        updated_at: now.toISOString(),
      });
      delete existing.failure_reason;
      delete existing.failure_class;
      delete existing.retries_exhausted_at;
      return { outcome: 'claimed', item: { ...existing }, leaseToken, attempt: existing.attempts, takenOver: true };
    },
    extendLease: async (key, leaseToken, until) => void (leased(key, leaseToken).lease_expires_at = until.getTime()),
    async markSendStarted(key, leaseToken, now, content) {
      const item = leased(key, leaseToken);
      item.send_started_at ??= now.toISOString();
      item.send_intents = [...(item.send_intents ?? []), { at: now.toISOString(), content }];
      return item.send_started_at;
    },
    async complete(key, update, now) {
      const item = items.get(keyOf(key))!;
      if (item.provider_message_id && item.provider_message_id !== update.message.message_id) return;
      Object.assign(item, { message_status: 'sent', provider_message_id: update.message.message_id, updated_at: now.toISOString() });
      delete item.lease_owner;
      delete item.lease_expires_at;
    },
    async recordFailure(key, leaseToken, failure, now) {
      const item = leased(key, leaseToken);
      Object.assign(item, {
        message_status: failure.status,
        failure_reason: failure.reason,
        failure_class: failure.failureClass,
        updated_at: now.toISOString(),
      });
      if (failure.retriesExhausted) item.retries_exhausted_at = now.toISOString();
      if (failure.refusedIntentAt) item.send_refused = [...(item.send_refused ?? []), failure.refusedIntentAt];
      delete item.lease_owner;
      delete item.lease_expires_at;
    },
    recordUnclaimedFailure: async () => undefined,
  };
};
