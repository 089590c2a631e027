import { randomUUID } from 'node:crypto';
import { ConditionalCheckFailedException, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { transient } from '../errors/app-error';
import { ErrorCodes } from '../errors/error-codes';
import { LeaseLost } from '../errors/lease-lost';
import { ConversationStatus, FailureClass, MessageEntry, RefusalStatus } from '../conversations/types';
import { entryItemOf } from '../conversations/conversation-entries';
import { DeliveryKey, INITIAL_MESSAGE, isFinished, MessageItem, MessageKey, SendIntent } from './types';

/**
 * The delivery of one outbound message, with the claim rule of docs/processing.md as conditional
 * writes on its own item in the messages table. Every write after the claim is conditional on the
 * lease token this attempt holds (`lease_owner`), so an attempt that lost its lease can never
 * overwrite the one that took over. The conversation item only learns the outcome: the final
 * update and a recorded failure write both items in one transaction, so a reader never sees a
 * message sent that its conversation does not list.
 */
export type ClaimOutcome =
  | { outcome: 'claimed'; item: MessageItem; leaseToken: string; attempt: number; takenOver: boolean }
  | { outcome: 'done'; item: MessageItem } // already sent (duplicate delivery) or failed for good
  | { outcome: 'busy'; item: MessageItem; retryInMs: number }; // another live attempt holds the lease

export interface FinalUpdate {
  message: MessageEntry;
  /** What the conversation's status becomes (the first message: initial_message_sent). */
  conversationStatus: ConversationStatus;
  threadId: string | null;
  processingTimeMs: number;
  processorVersion: string;
  /** Sparse index key for inbound replies (docs/data-model.md). */
  inboundKey?: string;
  /** The conversation's TTL (epoch seconds), which its message entry carries too. */
  expiresAt?: number;
}

/** A failure as recorded on the message (and, for the first message, on its conversation). */
export interface RecordedFailure {
  status: RefusalStatus;
  reason: string;
  failureClass: FailureClass;
  /**
   * The queue message was on its last receive (maxReceiveCount): it goes to the DLQ next instead
   * of being retried. Recorded as `retries_exhausted_at`, so the item itself says "parked, redrive
   * me" rather than looking like a retry that is still coming.
   */
  retriesExhausted?: boolean;
  /** The attempt's send intent (its `at`) that the provider answered with a refusal: nothing was created for it (reconciliation skips it). */
  refusedIntentAt?: string;
}

export interface DeliveryRepository {
  getMessage(key: DeliveryKey): Promise<MessageItem | undefined>;
  /**
   * Claim the message for this attempt: create it, or take over an expired lease / a transient
   * failure. Its conversation is created first from `conversation` if it does not exist yet.
   */
  claim(key: DeliveryKey, conversation: Record<string, unknown>, now: Date, leaseMs: number): Promise<ClaimOutcome>;
  extendLease(key: DeliveryKey, leaseToken: string, until: Date): Promise<void>;
  /** docs/processing.md "Mark": recorded just before the provider call, with what is about to be sent (the earliest start is kept; every intent is). */
  markSendStarted(key: DeliveryKey, leaseToken: string, now: Date, content: string): Promise<string>;
  /**
   * docs/processing.md "Record". Conditional on no *other* provider message being recorded, not on
   * the lease: once sent, it must be recorded. Repeating it after an answer was lost is a no-op.
   */
  complete(key: DeliveryKey, update: FinalUpdate, now: Date): Promise<void>;
  recordFailure(key: DeliveryKey, leaseToken: string, failure: RecordedFailure, now: Date): Promise<void>;
  /** For a queue message too malformed to claim: record the failure where the items exist or can be created. */
  recordUnclaimedFailure(key: DeliveryKey, failure: Pick<RecordedFailure, 'reason' | 'retriesExhausted'>, now: Date): Promise<void>;
}

export interface DeliveryTables {
  conversationsTable: string;
  messagesTable: string;
}

const databaseError = (error: unknown, what: string) => transient(ErrorCodes.DATABASE_ERROR, `The message could not be ${what}.`, error);

const messageKeyOf = (key: DeliveryKey): MessageKey => ({ conversation_id: key.conversation.conversation_id, message_key: key.messageKey });

/** Whether the transaction was cancelled because the condition on its item number `index` failed. */
const conditionFailedAt = (error: unknown, index: number): boolean =>
  error instanceof TransactionCanceledException && error.CancellationReasons?.[index]?.Code === 'ConditionalCheckFailed';

export const dynamoDeliveryRepository = (client: DynamoDBDocumentClient, tables: DeliveryTables): DeliveryRepository => {
  const { conversationsTable, messagesTable } = tables;

  const getMessage = async (key: DeliveryKey) => {
    try {
      const result = await client.send(new GetCommand({ TableName: messagesTable, Key: messageKeyOf(key), ConsistentRead: true }));
      return result.Item as MessageItem | undefined;
    } catch (error) {
      throw databaseError(error, 'read');
    }
  };

  /** Run a write conditional on our lease; a failed condition means another attempt owns it now. */
  const leased = async (key: DeliveryKey, command: UpdateCommand) => {
    try {
      return await client.send(command);
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) throw new LeaseLost(key.conversation.conversation_id);
      throw databaseError(error, 'updated');
    }
  };

  /** The conversation item, created once by its first message's first delivery; later deliveries leave it alone. */
  const ensureConversation = async (key: DeliveryKey, attributes: Record<string, unknown>, timestamp: string) => {
    try {
      await client.send(
        new PutCommand({
          TableName: conversationsTable,
          Item: {
            ...attributes,
            ...key.conversation,
            conversation_status: 'processing',
            message_count: 0,
            created_at: timestamp,
            updated_at: timestamp,
          },
          ConditionExpression: 'attribute_not_exists(conversation_id)',
        }),
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw databaseError(error, 'claimed (its conversation)');
    }
  };

  /** Take over: an expired lease, or a transient failure. Conditional on exactly what was seen, so two takers cannot both win. */
  const takeOver = async (
    key: DeliveryKey,
    existing: MessageItem,
    lease: { leaseToken: string; leaseExpiresAt: number; timestamp: string; now: Date },
  ): Promise<ClaimOutcome> => {
    const { leaseToken, leaseExpiresAt, timestamp, now } = lease;
    try {
      const result = await client.send(
        new UpdateCommand({
          TableName: messagesTable,
          Key: messageKeyOf(key),
          UpdateExpression:
            'SET message_status = :processing, attempts = attempts + :one, lease_expires_at = :lease, lease_owner = :token, updated_at = :now REMOVE failure_reason, failure_class, retries_exhausted_at',
          ConditionExpression: 'attempts = :seenAttempts AND message_status = :seenStatus',
          ExpressionAttributeValues: {
            ':processing': 'processing',
            ':one': 1,
            ':lease': leaseExpiresAt,
            ':token': leaseToken,
            ':now': timestamp,
            ':seenAttempts': existing.attempts,
            ':seenStatus': existing.message_status,
          },
          ReturnValues: 'ALL_NEW',
        }),
      );
      const item = result.Attributes as MessageItem;
      return { outcome: 'claimed', item, leaseToken, attempt: item.attempts, takenOver: true };
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) {
        const current = (await getMessage(key)) ?? existing;
        return { outcome: 'busy', item: current, retryInMs: Math.max(1000, (current.lease_expires_at ?? 0) - now.getTime()) };
      }
      throw databaseError(error, 'claimed');
    }
  };

  /** The first message's outcome is its conversation's status; a later message's failure is its own. */
  const mirrorsConversation = (key: DeliveryKey) => key.messageKey === INITIAL_MESSAGE;

  return {
    getMessage,

    async claim(key, conversation, now, leaseMs) {
      const leaseToken = randomUUID();
      const timestamp = now.toISOString();
      const leaseExpiresAt = now.getTime() + leaseMs;
      await ensureConversation(key, conversation, timestamp);
      try {
        const item: MessageItem = {
          ...messageKeyOf(key),
          primary_channel: key.conversation.primary_channel,
          channel: conversation.channel_method as MessageItem['channel'],
          message_status: 'processing',
          attempts: 1,
          lease_expires_at: leaseExpiresAt,
          lease_owner: leaseToken,
          created_at: timestamp,
          updated_at: timestamp,
          // Expires with its conversation (the project's retention, DynamoDB TTL).
          ...(typeof conversation.expires_at === 'number' ? { expires_at: conversation.expires_at } : {}),
        };
        await client.send(
          new PutCommand({ TableName: messagesTable, Item: item, ConditionExpression: 'attribute_not_exists(conversation_id)' }),
        );
        return { outcome: 'claimed', item, leaseToken, attempt: 1, takenOver: false };
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw databaseError(error, 'claimed');
      }

      const existing = await getMessage(key);
      if (!existing) throw databaseError(new Error('claimed item vanished'), 'claimed');
      if (isFinished(existing)) return { outcome: 'done', item: existing };
      const leaseLive = existing.message_status === 'processing' && (existing.lease_expires_at ?? 0) > now.getTime();
      if (leaseLive) return { outcome: 'busy', item: existing, retryInMs: (existing.lease_expires_at ?? 0) - now.getTime() };

      return takeOver(key, existing, { leaseToken, leaseExpiresAt, timestamp, now });
    },

    async extendLease(key, leaseToken, until) {
      await leased(
        key,
        new UpdateCommand({
          TableName: messagesTable,
          Key: messageKeyOf(key),
          UpdateExpression: 'SET lease_expires_at = :until',
          ConditionExpression: 'lease_owner = :token',
          ExpressionAttributeValues: { ':until': until.getTime(), ':token': leaseToken },
        }),
      );
    },

    async markSendStarted(key, leaseToken, now, content) {
      const intent: SendIntent = { at: now.toISOString(), content };
      const result = await leased(
        key,
        new UpdateCommand({
          TableName: messagesTable,
          Key: messageKeyOf(key),
          UpdateExpression:
            'SET send_started_at = if_not_exists(send_started_at, :now), last_send_attempt = :now, send_intents = list_append(if_not_exists(send_intents, :none), :intent), updated_at = :now',
          ConditionExpression: 'lease_owner = :token',
          ExpressionAttributeValues: { ':now': now.toISOString(), ':token': leaseToken, ':none': [], ':intent': [intent] },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return String(result.Attributes?.send_started_at);
    },

    async complete(key, update, now) {
      const sid = update.message.message_id;
      try {
        await client.send(
          new TransactWriteCommand({
            TransactItems: [
              {
                Update: {
                  TableName: messagesTable,
                  Key: messageKeyOf(key),
                  UpdateExpression:
                    'SET message_status = :sent, provider_message_id = :sid, updated_at = :now REMOVE lease_expires_at, lease_owner, failure_reason, failure_class, retries_exhausted_at',
                  // Written once: a second, different provider message for the same message is a conflict to surface, never to record over the first.
                  ConditionExpression: 'attribute_exists(conversation_id) AND attribute_not_exists(provider_message_id)',
                  ExpressionAttributeValues: { ':sent': 'sent', ':sid': sid, ':now': now.toISOString() },
                },
              },
              {
                // The message entry, its own item (conversation-entries.ts): the conversation keeps a bounded summary.
                Put: {
                  TableName: messagesTable,
                  Item: entryItemOf(key.conversation.conversation_id, update.message, update.expiresAt),
                  ConditionExpression: 'attribute_not_exists(message_key)',
                },
              },
              {
                Update: {
                  TableName: conversationsTable,
                  Key: key.conversation,
                  UpdateExpression:
                    'SET conversation_status = :status, thread_id = :thread, processing_time_ms = :ms, processor_version = :version, updated_at = :now, ' +
                    'first_message_at = if_not_exists(first_message_at, :at), last_message_at = :at' +
                    (update.message.subject ? ', first_subject = if_not_exists(first_subject, :subject)' : '') +
                    (update.inboundKey ? ', inbound_key = :inbound' : '') +
                    ' ADD message_count :one' +
                    (mirrorsConversation(key) ? ' REMOVE failure_reason, failure_class, retries_exhausted_at' : ''),
                  ConditionExpression: 'attribute_exists(conversation_id)',
                  ExpressionAttributeValues: {
                    ':status': update.conversationStatus,
                    ':at': update.message.timestamp,
                    ':one': 1,
                    ...(update.message.subject ? { ':subject': update.message.subject } : {}),
                    ':thread': update.threadId,
                    ':ms': update.processingTimeMs,
                    ':version': update.processorVersion,
                    ':now': now.toISOString(),
                    ...(update.inboundKey ? { ':inbound': update.inboundKey } : {}),
                  },
                },
              },
            ],
          }),
        );
      } catch (error) {
        // Already recorded with this provider id (an earlier try whose answer was lost): done, and
        // the conversation holds the message's entry once.
        if (conditionFailedAt(error, 0) && (await getMessage(key).catch(() => undefined))?.provider_message_id === sid) return;
        throw databaseError(error, 'updated after the send');
      }
    },

    async recordFailure(key, leaseToken, failure, now) {
      const values = { ':status': failure.status, ':reason': failure.reason, ':class': failure.failureClass, ':now': now.toISOString() };
      const failureSet =
        'failure_reason = :reason, failure_class = :class, updated_at = :now' +
        (failure.retriesExhausted ? ', retries_exhausted_at = :now' : '');
      const refused = failure.refusedIntentAt
        ? {
            set: ', send_refused = list_append(if_not_exists(send_refused, :none), :refused)',
            values: { ':none': [], ':refused': [failure.refusedIntentAt] },
          }
        : { set: '', values: {} };
      try {
        await client.send(
          new TransactWriteCommand({
            TransactItems: [
              {
                Update: {
                  TableName: messagesTable,
                  Key: messageKeyOf(key),
                  UpdateExpression: `SET message_status = :status, ${failureSet}${refused.set} REMOVE lease_expires_at, lease_owner`,
                  ConditionExpression: 'lease_owner = :token',
                  ExpressionAttributeValues: { ...values, ...refused.values, ':token': leaseToken },
                },
              },
              ...(mirrorsConversation(key)
                ? [
                    {
                      Update: {
                        TableName: conversationsTable,
                        Key: key.conversation,
                        UpdateExpression: `SET conversation_status = :status, ${failureSet}`,
                        ConditionExpression: 'attribute_exists(conversation_id)',
                        ExpressionAttributeValues: values,
                      },
                    },
                  ]
                : []),
            ],
          }),
        );
      } catch (error) {
        if (conditionFailedAt(error, 0)) throw new LeaseLost(key.conversation.conversation_id);
        throw databaseError(error, 'updated');
      }
    },

    async recordUnclaimedFailure(key, failure, now) {
      const values = { ':status': 'failed_unknown', ':reason': failure.reason, ':class': 'transient', ':now': now.toISOString() };
      const set =
        'failure_reason = :reason, failure_class = :class, updated_at = :now, created_at = if_not_exists(created_at, :now)' +
        (failure.retriesExhausted ? ', retries_exhausted_at = :now' : '');
      // Each item on its own, best effort, and never over a message that was sent or is being worked on.
      const writes = [
        new UpdateCommand({
          TableName: messagesTable,
          Key: messageKeyOf(key),
          UpdateExpression: `SET message_status = :status, primary_channel = :primary, attempts = if_not_exists(attempts, :zero) + :one, ${set}`,
          ConditionExpression: 'attribute_not_exists(conversation_id) OR (message_status <> :sent AND message_status <> :processing)',
          ExpressionAttributeValues: {
            ...values,
            ':processing': 'processing',
            ':sent': 'sent',
            ':primary': key.conversation.primary_channel,
            ':zero': 0,
            ':one': 1,
          },
        }),
        ...(mirrorsConversation(key)
          ? [
              new UpdateCommand({
                TableName: conversationsTable,
                Key: key.conversation,
                UpdateExpression: `SET conversation_status = :status, messages = if_not_exists(messages, :empty), ${set}`,
                ConditionExpression: 'attribute_not_exists(conversation_id) OR begins_with(conversation_status, :failed)',
                ExpressionAttributeValues: { ...values, ':empty': [], ':failed': 'failed_' },
              }),
            ]
          : []),
      ];
      for (const write of writes) {
        try {
          await client.send(write);
        } catch (error) {
          if (!(error instanceof ConditionalCheckFailedException)) throw databaseError(error, 'updated');
        }
      }
    },
  };
};
