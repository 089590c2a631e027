import { randomUUID } from 'node:crypto';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { ComposedPart } from '../context-object/types';
import { LeaseLost } from '../errors/lease-lost';
import { FailureClass } from '../conversations/types';
import { transient } from '../errors/app-error';
import { ErrorCodes } from '../errors/error-codes';
import { Channel } from '../request/types';
import { ThreadItem } from './types';

/**
 * The threads table, with the same claim rule as a conversation's (docs/processing.md): one
 * attempt at a time holds a lease; every write after the claim is conditional on it, so an
 * attempt that lost its lease can never overwrite the one that took over.
 */
export type ThreadClaim =
  | { outcome: 'claimed'; item: ThreadItem; leaseToken: string; attempt: number }
  | { outcome: 'done'; item: ThreadItem } // published, or failed for good
  | { outcome: 'busy'; item: ThreadItem; retryInMs: number };

export interface ThreadRepository {
  get(threadKey: string): Promise<ThreadItem | undefined>;
  claim(initial: Omit<ThreadItem, 'status' | 'attempts' | 'created_at' | 'updated_at'>, now: Date, leaseMs: number): Promise<ThreadClaim>;
  extendLease(threadKey: string, leaseToken: string, until: Date): Promise<void>;
  recordThreadId(threadKey: string, leaseToken: string, threadId: string, now: Date): Promise<void>;
  recordPart(threadKey: string, leaseToken: string, channel: Channel, part: ComposedPart, now: Date): Promise<void>;
  markPublished(threadKey: string, leaseToken: string, now: Date): Promise<void>;
  recordFailure(threadKey: string, leaseToken: string, failure: { reason: string; failureClass: FailureClass }, now: Date): Promise<void>;
}

const databaseError = (error: unknown, what: string) => transient(ErrorCodes.DATABASE_ERROR, `The thread could not be ${what}.`, error);

export const dynamoThreadRepository = (client: DynamoDBDocumentClient, tableName: string): ThreadRepository => {
  const get = async (threadKey: string) => {
    try {
      return (await client.send(new GetCommand({ TableName: tableName, Key: { thread_key: threadKey }, ConsistentRead: true }))).Item as
        | ThreadItem
        | undefined;
    } catch (error) {
      throw databaseError(error, 'read');
    }
  };

  /** A write conditional on our lease; a failed condition means another attempt holds it now. */
  const leased = async (threadKey: string, update: string, values: Record<string, unknown>, names?: Record<string, string>) => {
    try {
      await client.send(
        new UpdateCommand({
          TableName: tableName,
          Key: { thread_key: threadKey },
          UpdateExpression: update,
          ConditionExpression: 'lease_owner = :token',
          ExpressionAttributeValues: values,
          ...(names ? { ExpressionAttributeNames: names } : {}),
        }),
      );
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) throw new LeaseLost(threadKey);
      throw databaseError(error, 'updated');
    }
  };

  return {
    get,

    async claim(initial, now, leaseMs) {
      const leaseToken = randomUUID();
      const timestamp = now.toISOString();
      const leaseExpiresAt = now.getTime() + leaseMs;
      const item: ThreadItem = {
        ...initial,
        status: 'composing',
        attempts: 1,
        lease_owner: leaseToken,
        lease_expires_at: leaseExpiresAt,
        composed: {},
        created_at: timestamp,
        updated_at: timestamp,
      };
      try {
        await client.send(new PutCommand({ TableName: tableName, Item: item, ConditionExpression: 'attribute_not_exists(thread_key)' }));
        return { outcome: 'claimed', item, leaseToken, attempt: 1 };
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw databaseError(error, 'claimed');
      }
      const existing = await get(initial.thread_key);
      if (!existing) throw databaseError(new Error('claimed thread vanished'), 'claimed');
      if (existing.status === 'published' || (existing.status === 'failed' && existing.failure_class === 'permanent'))
        return { outcome: 'done', item: existing };
      if (existing.status === 'composing' && (existing.lease_expires_at ?? 0) > now.getTime()) {
        return { outcome: 'busy', item: existing, retryInMs: (existing.lease_expires_at ?? 0) - now.getTime() };
      }
      // Take over an expired lease or a transient failure, conditional on exactly what we saw.
      try {
        const result = await client.send(
          new UpdateCommand({
            TableName: tableName,
            Key: { thread_key: initial.thread_key },
            UpdateExpression:
              'SET #status = :composing, attempts = attempts + :one, lease_owner = :token, lease_expires_at = :lease, updated_at = :now REMOVE failure_reason, failure_class',
            ConditionExpression: 'attempts = :seenAttempts AND #status = :seenStatus',
            ExpressionAttributeNames: { '#status': 'status' },
            ExpressionAttributeValues: {
              ':composing': 'composing',
              ':one': 1,
              ':token': leaseToken,
              ':lease': leaseExpiresAt,
              ':now': timestamp,
              ':seenAttempts': existing.attempts,
              ':seenStatus': existing.status,
            },
            ReturnValues: 'ALL_NEW',
          }),
        );
        const taken = result.Attributes as ThreadItem;
        return { outcome: 'claimed', item: taken, leaseToken, attempt: taken.attempts };
      } catch (error) {
        if (error instanceof ConditionalCheckFailedException) return { outcome: 'busy', item: existing, retryInMs: 1000 };
        throw databaseError(error, 'claimed');
      }
    },

    extendLease: (threadKey, leaseToken, until) =>
      leased(threadKey, 'SET lease_expires_at = :until', { ':until': until.getTime(), ':token': leaseToken }),

    recordThreadId: (threadKey, leaseToken, threadId, now) =>
      leased(threadKey, 'SET thread_id = :thread, updated_at = :now', {
        ':thread': threadId,
        ':now': now.toISOString(),
        ':token': leaseToken,
      }),

    recordPart: (threadKey, leaseToken, channel, part, now) =>
      leased(
        threadKey,
        'SET composed.#channel = :part, updated_at = :now',
        { ':part': part, ':now': now.toISOString(), ':token': leaseToken },
        { '#channel': channel },
      ),

    markPublished: (threadKey, leaseToken, now) =>
      leased(
        threadKey,
        'SET #status = :published, published_at = :now, updated_at = :now REMOVE lease_owner, lease_expires_at',
        { ':published': 'published', ':now': now.toISOString(), ':token': leaseToken },
        { '#status': 'status' },
      ),

    recordFailure: (threadKey, leaseToken, failure, now) =>
      leased(
        threadKey,
        'SET #status = :failed, failure_reason = :reason, failure_class = :class, updated_at = :now REMOVE lease_owner, lease_expires_at',
        { ':failed': 'failed', ':reason': failure.reason, ':class': failure.failureClass, ':now': now.toISOString(), ':token': leaseToken },
        { '#status': 'status' },
      ),
  };
};
