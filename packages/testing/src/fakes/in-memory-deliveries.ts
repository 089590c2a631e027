import { randomUUID } from 'node:crypto';
import { DeliveryRepository, MessageItem } from '@ai-multi-comms/core';

/** A deliveries repository in memory, for measuring the pipeline's own cost without a database. */
export const inMemoryDeliveries = (): DeliveryRepository => {
  const items = new Map<string, MessageItem>();
  const keyOf = (key: { conversation: { conversation_id: string }; messageKey: string }) =>
    `${key.conversation.conversation_id}#${key.messageKey}`;
  return {
    getMessage: async (key) => items.get(keyOf(key)),
    async claim(key, conversation, now, leaseMs) {
      const existing = items.get(keyOf(key));
      if (existing) return { outcome: 'done', item: existing };
      const item: MessageItem = {
        conversation_id: key.conversation.conversation_id,
        message_key: key.messageKey,
        primary_channel: key.conversation.primary_channel,
        channel: conversation.channel_method as MessageItem['channel'],
        message_status: 'processing',
        attempts: 1,
        lease_owner: randomUUID(),
        lease_expires_at: now.getTime() + leaseMs,
        created_at: now.toISOString(),
        updated_at: now.toISOString(),
      };
      items.set(keyOf(key), item);
      return { outcome: 'claimed', item, leaseToken: item.lease_owner!, attempt: 1, takenOver: false };
    },
    extendLease: async () => undefined,
    markSendStarted: async (key, _token, now) => (items.get(keyOf(key))!.send_started_at = now.toISOString()),
    complete: async (key, update) => {
      const item = items.get(keyOf(key))!;
      item.message_status = 'sent';
      item.provider_message_id = update.message.message_id;
    },
    recordFailure: async () => undefined,
    recordUnclaimedFailure: async () => undefined,
  };
};
