import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { transient } from '../errors/app-error';
import { ErrorCodes } from '../errors/error-codes';
import { InboundMessage, InboundStatus, ReplyAnswer } from './types';

/**
 * The inbound-messages table: one conditional write makes an inbound message exist once, whatever
 * the provider retries; every later change is a conditional update of that one item.
 */
export interface InboundStore {
  /** Store a new inbound message; `existing` is the item a provider's retry finds instead. */
  receive(message: InboundMessage): Promise<{ created: true } | { created: false; existing: InboundMessage }>;
  get(inboundId: string): Promise<InboundMessage | undefined>;
  /** The webhook linked it (or found no conversation: orphan). */
  link(
    inboundId: string,
    link: Pick<InboundMessage, 'inbound_status' | 'conversation' | 'thread_id' | 'company_id' | 'project_id' | 'linked_by'>,
    now: Date,
  ): Promise<void>;
  markEnqueued(inboundId: string, now: Date): Promise<void>;
  /** An agent's message is on the AI thread (its retry does not add it again). */
  markThreadNoted(inboundId: string, now: Date): Promise<void>;
  /** Keep the AI's answer; the first stored answer wins (returned), so a retried turn never replaces what may already be on its way. */
  storeAnswer(inboundId: string, answer: ReplyAnswer, now: Date): Promise<ReplyAnswer>;
  finish(
    inboundId: string,
    status: Extract<InboundStatus, 'answered' | 'held' | 'opted_out' | 'opted_in' | 'failed'>,
    now: Date,
    reason?: string,
  ): Promise<void>;
}

const databaseError = (error: unknown, what: string) =>
  transient(ErrorCodes.DATABASE_ERROR, `The inbound message could not be ${what}.`, error);

export const dynamoInboundStore = (client: DynamoDBDocumentClient, tableName: string): InboundStore => {
  const get = async (inboundId: string) => {
    try {
      return (await client.send(new GetCommand({ TableName: tableName, Key: { inbound_id: inboundId }, ConsistentRead: true }))).Item as
        | InboundMessage
        | undefined;
    } catch (error) {
      throw databaseError(error, 'read');
    }
  };
  const update = async (
    inboundId: string,
    expression: string,
    values: Record<string, unknown>,
    what: string,
    names?: Record<string, string>,
  ) => {
    try {
      await client.send(
        new UpdateCommand({
          TableName: tableName,
          Key: { inbound_id: inboundId },
          UpdateExpression: expression,
          ConditionExpression: 'attribute_exists(inbound_id)',
          ExpressionAttributeValues: values,
          ...(names ? { ExpressionAttributeNames: names } : {}),
        }),
      );
    } catch (error) {
      throw databaseError(error, what);
    }
  };
  return {
    async receive(message) {
      try {
        await client.send(new PutCommand({ TableName: tableName, Item: message, ConditionExpression: 'attribute_not_exists(inbound_id)' }));
        return { created: true };
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw databaseError(error, 'stored');
      }
      const existing = await get(message.inbound_id);
      if (!existing) throw databaseError(new Error('vanished'), 'read back');
      return { created: false, existing };
    },
    get,
    async link(inboundId, link, now) {
      const values: Record<string, unknown> = { ':status': link.inbound_status, ':now': now.toISOString() };
      let expression = 'SET inbound_status = :status, updated_at = :now';
      for (const field of ['conversation', 'thread_id', 'company_id', 'project_id', 'linked_by'] as const) {
        if (link[field] === undefined) continue;
        expression += `, ${field} = :${field}`;
        values[`:${field}`] = link[field];
      }
      await update(inboundId, expression, values, 'linked');
    },
    markEnqueued: (inboundId, now) =>
      update(inboundId, 'SET enqueued = :true, updated_at = :now', { ':true': true, ':now': now.toISOString() }, 'marked enqueued'),
    markThreadNoted: (inboundId, now) =>
      update(inboundId, 'SET thread_noted = :true, updated_at = :now', { ':true': true, ':now': now.toISOString() }, 'marked noted'),
    async storeAnswer(inboundId, answer, now) {
      try {
        await client.send(
          new UpdateCommand({
            TableName: tableName,
            Key: { inbound_id: inboundId },
            UpdateExpression: 'SET answer = :answer, updated_at = :now',
            ConditionExpression: 'attribute_exists(inbound_id) AND attribute_not_exists(answer)',
            ExpressionAttributeValues: { ':answer': answer, ':now': now.toISOString() },
          }),
        );
        return answer;
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw databaseError(error, 'updated with its answer');
      }
      const stored = (await get(inboundId))?.answer;
      if (!stored) throw databaseError(new Error('no answer after a refused write'), 'read back');
      return stored;
    },
    finish: (inboundId, status, now, reason) =>
      update(
        inboundId,
        `SET inbound_status = :status, updated_at = :now${reason ? ', failure_reason = :reason' : ''}`,
        { ':status': status, ':now': now.toISOString(), ...(reason ? { ':reason': reason } : {}) },
        'finished',
      ),
  };
};
