import { Channel } from '../request/types';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { conflict, transient } from '../errors/app-error';
import { ErrorCodes } from '../errors/error-codes';
import { epochSeconds } from '../util/clock';

/**
 * Idempotency records for the router (docs/api.md): one item per company/project/request_id.
 *
 * The state machine lives in one conditional PutItem (after Powertools' idempotency persistence
 * layer): a request may start when no record exists, when the record has expired, or when an
 * earlier attempt is IN_PROGRESS past its short in-progress lease (it crashed). Otherwise the
 * existing record decides: another body → IDEMPOTENCY_CONFLICT; COMPLETED → the stored response;
 * IN_PROGRESS → IDEMPOTENCY_IN_PROGRESS with Retry-After: 1.
 */
export interface StoredResponse {
  conversation_id: string;
  /** One per channel, in request order (absent on records written before fan-out). */
  conversations?: { channel: Channel; conversation_id: string }[];
  queue_timestamp: string;
}

export type BeginOutcome = { state: 'started' } | { state: 'completed'; response: StoredResponse };

export interface IdempotencyStore {
  begin(key: string, bodyHash: string, now: Date): Promise<BeginOutcome>;
  complete(key: string, response: StoredResponse, now: Date): Promise<void>;
  /** Forget an unfinished attempt so that a retry of the same request can run (after a failure). */
  release(key: string): Promise<void>;
  /** The answer a completed request was given, if any (GET /conversations before composing starts). */
  peek(key: string): Promise<StoredResponse | undefined>;
}

export interface IdempotencyOptions {
  /** How long records are kept; docs/api.md: at least 24 hours. */
  ttlSeconds: number;
  /** How long an IN_PROGRESS record blocks retries before it counts as abandoned. */
  inProgressSeconds: number;
}

export const idempotencyKey = (companyId: string, projectId: string, requestId: string): string => `${companyId}#${projectId}#${requestId}`;

const databaseError = (error: unknown) =>
  transient(ErrorCodes.DATABASE_ERROR, 'The request could not be recorded. Please retry; retrying is safe.', error);

export const dynamoIdempotencyStore = (
  client: DynamoDBDocumentClient,
  tableName: string,
  options: IdempotencyOptions,
): IdempotencyStore => {
  const tryStart = async (key: string, bodyHash: string, now: Date): Promise<boolean> => {
    try {
      await client.send(
        new PutCommand({
          TableName: tableName,
          Item: {
            idempotency_key: key,
            status: 'IN_PROGRESS',
            body_sha256: bodyHash,
            in_progress_expires_at: now.getTime() + options.inProgressSeconds * 1000,
            expires_at: epochSeconds(now) + options.ttlSeconds,
          },
          ConditionExpression:
            'attribute_not_exists(idempotency_key) OR expires_at < :nowSeconds OR (#status = :inProgress AND in_progress_expires_at < :nowMs)',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':nowSeconds': epochSeconds(now), ':nowMs': now.getTime(), ':inProgress': 'IN_PROGRESS' },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw databaseError(error);
    }
  };

  const read = async (key: string) => {
    try {
      const result = await client.send(new GetCommand({ TableName: tableName, Key: { idempotency_key: key }, ConsistentRead: true }));
      return result.Item;
    } catch (error) {
      throw databaseError(error);
    }
  };

  return {
    async begin(key, bodyHash, now) {
      // Two rounds: the record we lost to may vanish (released) between the put and the read.
      for (let round = 0; round < 2; round += 1) {
        if (await tryStart(key, bodyHash, now)) return { state: 'started' };
        const existing = await read(key);
        if (!existing) continue;
        if (existing.body_sha256 !== bodyHash) {
          throw conflict(
            ErrorCodes.IDEMPOTENCY_CONFLICT,
            'This request_id was already used with a different request body; use a new request_id for a new request.',
          );
        }
        if (existing.status === 'COMPLETED') return { state: 'completed', response: existing.response as StoredResponse };
        throw conflict(
          ErrorCodes.IDEMPOTENCY_IN_PROGRESS,
          'A request with this request_id is still being processed; retry in a second.',
          1,
        );
      }
      throw databaseError(new Error('idempotency record changed twice while being read'));
    },

    async complete(key, response, now) {
      try {
        await client.send(
          new UpdateCommand({
            TableName: tableName,
            Key: { idempotency_key: key },
            UpdateExpression: 'SET #status = :completed, #response = :response, completed_at = :at REMOVE in_progress_expires_at',
            ExpressionAttributeNames: { '#status': 'status', '#response': 'response' },
            ExpressionAttributeValues: { ':completed': 'COMPLETED', ':response': response, ':at': now.toISOString() },
          }),
        );
      } catch (error) {
        throw databaseError(error);
      }
    },

    async peek(key) {
      const existing = await read(key);
      return existing?.status === 'COMPLETED' ? (existing.response as StoredResponse) : undefined;
    },

    async release(key) {
      try {
        await client.send(
          new DeleteCommand({
            TableName: tableName,
            Key: { idempotency_key: key },
            ConditionExpression: '#status = :inProgress',
            ExpressionAttributeNames: { '#status': 'status' },
            ExpressionAttributeValues: { ':inProgress': 'IN_PROGRESS' },
          }),
        );
      } catch (error) {
        if (error instanceof ConditionalCheckFailedException) return;
        throw databaseError(error);
      }
    },
  };
};
