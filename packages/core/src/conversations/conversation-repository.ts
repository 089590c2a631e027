import { randomUUID } from 'node:crypto';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { transient } from '../errors/app-error';
import { ErrorCodes } from '../errors/error-codes';
import { ConversationItem, ConversationKey, ConversationStatus, DONE_STATUSES, FailureClass, MessageEntry, SendIntent } from './types';

/**
 * The conversations table, with the claim rule of docs/processing.md as conditional writes. Every
 * write after the claim is conditional on the lease token this attempt holds (`lease_owner`), so
 * an attempt that lost its lease can never overwrite the one that took over.
 */
export type ClaimOutcome =
  | { outcome: 'claimed'; item: ConversationItem; leaseToken: string; attempt: number; takenOver: boolean }
  | { outcome: 'done'; item: ConversationItem } // already sent (duplicate delivery) or failed for good
  | { outcome: 'busy'; item: ConversationItem; retryInMs: number }; // another live attempt holds the lease

export class LeaseLost extends Error {
  constructor(readonly conversationId: string) {
    super(`The lease on ${conversationId} was lost to another attempt`);
  }
}

export interface FinalUpdate {
  message: MessageEntry;
  threadId: string | null;
  processingTimeMs: number;
  processorVersion: string;
  /** Sparse index key for inbound replies (docs/data-model.md). */
  inboundKey?: string;
}

/** A failure as recorded on the item. */
export interface RecordedFailure {
  status: ConversationStatus;
  reason: string;
  failureClass: FailureClass;
  /**
   * The queue message was on its last receive (maxReceiveCount): it goes to the DLQ next instead
   * of being retried. Recorded as `retries_exhausted_at`, so the item itself says "parked, redrive
   * me" rather than looking like a retry that is still coming.
   */
  retriesExhausted?: boolean;
}

export interface ConversationRepository {
  get(key: ConversationKey): Promise<ConversationItem | undefined>;
  /** Claim for this attempt: create, or take over an expired lease / a transient failure. */
  claim(key: ConversationKey, initial: Record<string, unknown>, now: Date, leaseMs: number): Promise<ClaimOutcome>;
  extendLease(key: ConversationKey, leaseToken: string, until: Date): Promise<void>;
  recordThread(key: ConversationKey, leaseToken: string, threadId: string, now: Date): Promise<void>;
  /** docs/processing.md step 6: recorded just before the provider call, with what is about to be sent (the earliest start is kept; every intent is). */
  markSendStarted(key: ConversationKey, leaseToken: string, now: Date, content: string): Promise<string>;
  /** docs/processing.md step 7. Conditional on no *other* message being recorded, not on the lease: once sent, it must be recorded. */
  complete(key: ConversationKey, update: FinalUpdate, now: Date): Promise<void>;
  recordFailure(key: ConversationKey, leaseToken: string, failure: RecordedFailure, now: Date): Promise<void>;
  /** For a Context Object too malformed to claim: record the failure if the item exists or can be created. */
  recordUnclaimedFailure(key: ConversationKey, failure: Pick<RecordedFailure, 'reason' | 'retriesExhausted'>, now: Date): Promise<void>;
}

const databaseError = (error: unknown, what: string) => transient(ErrorCodes.DATABASE_ERROR, `The conversation could not be ${what}.`, error);

export const dynamoConversationRepository = (client: DynamoDBDocumentClient, tableName: string): ConversationRepository => {
  const get = async (key: ConversationKey) => {
    try {
      const result = await client.send(new GetCommand({ TableName: tableName, Key: key, ConsistentRead: true }));
      return result.Item as ConversationItem | undefined;
    } catch (error) {
      throw databaseError(error, 'read');
    }
  };

  /** Run a write conditional on our lease; a failed condition means another attempt owns it now. */
  const leased = async (key: ConversationKey, command: UpdateCommand) => {
    try {
      return await client.send(command);
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) throw new LeaseLost(key.conversation_id);
      throw databaseError(error, 'updated');
    }
  };

  const leaseCondition = { ConditionExpression: 'lease_owner = :token' };

  return {
    get,

    async claim(key, initial, now, leaseMs) {
      const leaseToken = randomUUID();
      const timestamp = now.toISOString();
      const leaseExpiresAt = now.getTime() + leaseMs;
      try {
        const item: ConversationItem = {
          ...initial,
          ...key,
          conversation_status: 'processing',
          attempts: 1,
          lease_expires_at: leaseExpiresAt,
          lease_owner: leaseToken,
          messages: [],
          thread_id: (initial.thread_id as string | null | undefined) ?? null,
          created_at: timestamp,
          updated_at: timestamp,
        };
        await client.send(new PutCommand({ TableName: tableName, Item: item, ConditionExpression: 'attribute_not_exists(conversation_id)' }));
        return { outcome: 'claimed', item, leaseToken, attempt: 1, takenOver: false };
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw databaseError(error, 'claimed');
      }

      const existing = await get(key);
      if (!existing) throw databaseError(new Error('claimed item vanished'), 'claimed');
      if (DONE_STATUSES.includes(existing.conversation_status) || (existing.conversation_status.startsWith('failed_') && existing.failure_class === 'permanent')) {
        return { outcome: 'done', item: existing };
      }
      const leaseLive = existing.conversation_status === 'processing' && (existing.lease_expires_at ?? 0) > now.getTime();
      if (leaseLive) return { outcome: 'busy', item: existing, retryInMs: (existing.lease_expires_at ?? 0) - now.getTime() };

      // Take over: an expired lease, or a transient failure. Conditional on exactly what we saw.
      try {
        const result = await client.send(
          new UpdateCommand({
            TableName: tableName,
            Key: key,
            UpdateExpression:
              'SET conversation_status = :processing, attempts = attempts + :one, lease_expires_at = :lease, lease_owner = :token, updated_at = :now REMOVE failure_reason, failure_class, retries_exhausted_at',
            ConditionExpression: 'attempts = :seenAttempts AND conversation_status = :seenStatus',
            ExpressionAttributeValues: {
              ':processing': 'processing',
              ':one': 1,
              ':lease': leaseExpiresAt,
              ':token': leaseToken,
              ':now': timestamp,
              ':seenAttempts': existing.attempts,
              ':seenStatus': existing.conversation_status,
            },
            ReturnValues: 'ALL_NEW',
          }),
        );
        const item = result.Attributes as ConversationItem;
        return { outcome: 'claimed', item, leaseToken, attempt: item.attempts, takenOver: true };
      } catch (error) {
        if (error instanceof ConditionalCheckFailedException) {
          const current = (await get(key)) ?? existing;
          return { outcome: 'busy', item: current, retryInMs: Math.max(1000, (current.lease_expires_at ?? 0) - now.getTime()) };
        }
        throw databaseError(error, 'claimed');
      }
    },

    async extendLease(key, leaseToken, until) {
      await leased(
        key,
        new UpdateCommand({ TableName: tableName, Key: key, UpdateExpression: 'SET lease_expires_at = :until', ...leaseCondition, ExpressionAttributeValues: { ':until': until.getTime(), ':token': leaseToken } }),
      );
    },

    async recordThread(key, leaseToken, threadId, now) {
      await leased(
        key,
        new UpdateCommand({
          TableName: tableName,
          Key: key,
          UpdateExpression: 'SET thread_id = :thread, updated_at = :now',
          ...leaseCondition,
          ExpressionAttributeValues: { ':thread': threadId, ':now': now.toISOString(), ':token': leaseToken },
        }),
      );
    },

    async markSendStarted(key, leaseToken, now, content) {
      const intent: SendIntent = { at: now.toISOString(), content };
      const result = await leased(
        key,
        new UpdateCommand({
          TableName: tableName,
          Key: key,
          UpdateExpression:
            'SET send_started_at = if_not_exists(send_started_at, :now), last_send_attempt = :attempt, send_intents = list_append(if_not_exists(send_intents, :none), :intent), updated_at = :now',
          ...leaseCondition,
          ExpressionAttributeValues: { ':now': now.toISOString(), ':token': leaseToken, ':attempt': now.toISOString(), ':none': [], ':intent': [intent] },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return String(result.Attributes?.send_started_at);
    },

    async complete(key, update, now) {
      try {
        await client.send(
          new UpdateCommand({
            TableName: tableName,
            Key: key,
            UpdateExpression:
              'SET conversation_status = :sent, messages = list_append(if_not_exists(messages, :empty), :message), provider_message_id = :sid, thread_id = :thread, processing_time_ms = :ms, processor_version = :version, updated_at = :now' +
              (update.inboundKey ? ', inbound_key = :inbound' : '') +
              ' REMOVE lease_expires_at, lease_owner, failure_reason, failure_class, retries_exhausted_at',
            ConditionExpression: 'attribute_exists(conversation_id) AND (attribute_not_exists(provider_message_id) OR provider_message_id = :sid)',
            ExpressionAttributeValues: {
              ':sent': 'initial_message_sent',
              ':empty': [],
              ':message': [update.message],
              ':sid': update.message.message_id,
              ':thread': update.threadId,
              ':ms': update.processingTimeMs,
              ':version': update.processorVersion,
              ':now': now.toISOString(),
              ...(update.inboundKey ? { ':inbound': update.inboundKey } : {}),
            },
          }),
        );
      } catch (error) {
        throw databaseError(error, 'updated after the send');
      }
    },

    async recordFailure(key, leaseToken, failure, now) {
      await leased(
        key,
        new UpdateCommand({
          TableName: tableName,
          Key: key,
          UpdateExpression:
            'SET conversation_status = :status, failure_reason = :reason, failure_class = :class, updated_at = :now' +
            (failure.retriesExhausted ? ', retries_exhausted_at = :now' : '') +
            ' REMOVE lease_expires_at, lease_owner',
          ...leaseCondition,
          ExpressionAttributeValues: { ':status': failure.status, ':reason': failure.reason, ':class': failure.failureClass, ':now': now.toISOString(), ':token': leaseToken },
        }),
      );
    },

    async recordUnclaimedFailure(key, failure, now) {
      try {
        await client.send(
          new UpdateCommand({
            TableName: tableName,
            Key: key,
            UpdateExpression:
              'SET conversation_status = :status, failure_reason = :reason, failure_class = :class, updated_at = :now, created_at = if_not_exists(created_at, :now), attempts = if_not_exists(attempts, :zero) + :one' +
              (failure.retriesExhausted ? ', retries_exhausted_at = :now' : ''),
            // Never over a conversation that was sent or is being worked on.
            ConditionExpression: 'attribute_not_exists(conversation_id) OR (conversation_status <> :sent AND conversation_status <> :processing)',
            ExpressionAttributeValues: {
              ':status': 'failed_unknown',
              ':reason': failure.reason,
              ':class': 'transient',
              ':now': now.toISOString(),
              ':zero': 0,
              ':one': 1,
              ':sent': 'initial_message_sent',
              ':processing': 'processing',
            },
          }),
        );
      } catch (error) {
        if (error instanceof ConditionalCheckFailedException) return;
        throw databaseError(error, 'updated');
      }
    },
  };
};
