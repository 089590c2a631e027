import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { entryItemOf } from '../conversations/conversation-entries';
import { queryAll } from '../aws/query-all';
import { ConversationKey, ConversationStatus, MessageEntry } from '../conversations/types';
import { transient } from '../errors/app-error';
import { ErrorCodes } from '../errors/error-codes';

/**
 * What the reply step writes on a conversation item: the person's message (once per inbound id,
 * whatever the retries), the status, the hand-off and task flags. Each is one conditional update.
 */
export interface ConversationUpdates {
  /** Add the person's message (its own entry item) and set the status; false when this inbound message is already on it. */
  appendInbound(
    key: ConversationKey,
    inboundId: string,
    entry: MessageEntry,
    status: ConversationStatus,
    now: Date,
    expiresAt?: number,
  ): Promise<boolean>;
  /** Set the status (with the reason a reader sees, for a failure). */
  setStatus(key: ConversationKey, status: ConversationStatus, now: Date, reason?: string): Promise<void>;
  recordOutcome(key: ConversationKey, outcome: { handOffReason?: string; taskComplete: boolean }, now: Date): Promise<void>;
  /**
   * A hand-off holds the whole thread: every other conversation of the request (its other
   * channels) is handed off too, so a reply on any channel waits for the person. Returns how many
   * were handed off now.
   */
  handOffThread(
    conversation: { conversation_id: string; request_id: string; company_id: string; project_id: string },
    reason: string,
    now: Date,
  ): Promise<number>;
  /**
   * Count one automatic answer against the conversation's budget of `limit` per window (a fixed
   * 24-hour window from its first answer): true when it fits, false when the budget is spent.
   */
  takeAnswer(key: ConversationKey, limit: number, windowMs: number, now: Date): Promise<boolean>;
  /** A message left for a later one's answer: kept (at most MAX_WAITING) for that turn to read. */
  holdForLater(key: ConversationKey, waiting: { inbound_id: string; text: string }, now: Date): Promise<void>;
  /** The waiting messages were answered (or handed off, or opted out): forget them. */
  clearWaiting(key: ConversationKey, now: Date): Promise<void>;
}

/** Messages one coalesced turn reads besides its own: a burst beyond it is summarised by its latest. */
export const MAX_WAITING = 20;

const databaseError = (error: unknown) => transient(ErrorCodes.DATABASE_ERROR, 'The conversation could not be updated.', error);

export const dynamoConversationUpdates = (
  client: DynamoDBDocumentClient,
  tableName: string,
  messagesTable: string,
): ConversationUpdates => ({
  async holdForLater(key, waiting, now) {
    try {
      await client.send(
        new UpdateCommand({
          TableName: tableName,
          Key: key,
          UpdateExpression: 'SET waiting_messages = list_append(if_not_exists(waiting_messages, :empty), :entry), updated_at = :now',
          ConditionExpression:
            'attribute_exists(conversation_id) AND (attribute_not_exists(waiting_messages) OR size(waiting_messages) < :max)',
          ExpressionAttributeValues: {
            ':empty': [],
            ':entry': [{ inbound_id: waiting.inbound_id, text: waiting.text.slice(0, 4096) }],
            ':now': now.toISOString(),
            ':max': MAX_WAITING,
          },
        }),
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw databaseError(error);
    }
  },
  async clearWaiting(key, now) {
    try {
      await client.send(
        new UpdateCommand({
          TableName: tableName,
          Key: key,
          UpdateExpression: 'REMOVE waiting_messages SET updated_at = :now',
          ConditionExpression: 'attribute_exists(conversation_id)',
          ExpressionAttributeValues: { ':now': now.toISOString() },
        }),
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw databaseError(error);
    }
  },
  async takeAnswer(key, limit, windowMs, now) {
    const nowMs = now.getTime();
    try {
      // Within the current window and under the limit: count it.
      await client.send(
        new UpdateCommand({
          TableName: tableName,
          Key: key,
          UpdateExpression: 'ADD answers_in_window :one',
          ConditionExpression: 'attribute_exists(conversation_id) AND answers_window_start > :windowFloor AND answers_in_window < :limit',
          ExpressionAttributeValues: { ':one': 1, ':windowFloor': nowMs - windowMs, ':limit': limit },
        }),
      );
      return true;
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw databaseError(error);
    }
    try {
      // No window, or it is over: a new one starts with this answer.
      await client.send(
        new UpdateCommand({
          TableName: tableName,
          Key: key,
          UpdateExpression: 'SET answers_window_start = :now, answers_in_window = :one',
          ConditionExpression:
            'attribute_exists(conversation_id) AND (attribute_not_exists(answers_window_start) OR answers_window_start <= :windowFloor)',
          ExpressionAttributeValues: { ':one': 1, ':now': nowMs, ':windowFloor': nowMs - windowMs },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false; // a live window, full
      throw databaseError(error);
    }
  },
  async handOffThread(conversation, reason, now) {
    // The request's conversations (request-id-index, keys only), of this company and project only: request ids are the clients'.
    const prefix = `${conversation.company_id}#${conversation.project_id}#${conversation.request_id}#`;
    let siblings: ConversationKey[];
    try {
      siblings = (
        await queryAll(client, {
          TableName: tableName,
          IndexName: 'request-id-index',
          KeyConditionExpression: 'request_id = :id',
          ExpressionAttributeValues: { ':id': conversation.request_id },
        })
      )
        .map((item) => ({ primary_channel: String(item.primary_channel), conversation_id: String(item.conversation_id) }))
        .filter((key) => key.conversation_id.startsWith(prefix) && key.conversation_id !== conversation.conversation_id);
    } catch (error) {
      throw databaseError(error);
    }
    let handedOff = 0;
    for (const key of siblings) {
      try {
        await client.send(
          new UpdateCommand({
            TableName: tableName,
            Key: key,
            UpdateExpression: 'SET hand_off_to_human = :true, hand_off_reason = :reason, handed_off_at = :now, updated_at = :now',
            ConditionExpression:
              'attribute_exists(conversation_id) AND (attribute_not_exists(hand_off_to_human) OR hand_off_to_human <> :true)',
            ExpressionAttributeValues: { ':true': true, ':reason': reason, ':now': now.toISOString() },
          }),
        );
        handedOff += 1;
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw databaseError(error);
      }
    }
    return handedOff;
  },
  async appendInbound(key, inboundId, entry, status, now, expiresAt) {
    // The entry (keyed by its time and the inbound id, so once) and the summary, together.
    try {
      await client.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Put: {
                TableName: messagesTable,
                Item: entryItemOf(key.conversation_id, { ...entry, message_id: inboundId }, expiresAt),
                ConditionExpression: 'attribute_not_exists(message_key)',
              },
            },
            {
              Update: {
                TableName: tableName,
                Key: key,
                UpdateExpression:
                  'SET conversation_status = :status, last_inbound_at = :now, last_message_at = :at, updated_at = :now ADD message_count :one',
                ConditionExpression: 'attribute_exists(conversation_id)',
                ExpressionAttributeValues: { ':status': status, ':now': now.toISOString(), ':at': entry.timestamp, ':one': 1 },
              },
            },
          ],
        }),
      );
      return true;
    } catch (error) {
      if (
        error instanceof TransactionCanceledException &&
        error.CancellationReasons?.some((reason) => reason.Code === 'ConditionalCheckFailed')
      )
        return false;
      throw databaseError(error);
    }
  },
  async setStatus(key, status, now, reason) {
    try {
      await client.send(
        new UpdateCommand({
          TableName: tableName,
          Key: key,
          UpdateExpression: `SET conversation_status = :status, updated_at = :now${reason ? ', failure_reason = :reason' : ''}`,
          ConditionExpression: 'attribute_exists(conversation_id)',
          ExpressionAttributeValues: { ':status': status, ':now': now.toISOString(), ...(reason ? { ':reason': reason } : {}) },
        }),
      );
    } catch (error) {
      throw databaseError(error);
    }
  },
  async recordOutcome(key, outcome, now) {
    const handOff = outcome.handOffReason !== undefined;
    try {
      await client.send(
        new UpdateCommand({
          TableName: tableName,
          Key: key,
          UpdateExpression: `SET task_complete = :task, updated_at = :now${handOff ? ', hand_off_to_human = :true, hand_off_reason = :reason, handed_off_at = :now' : ''}`,
          ConditionExpression: 'attribute_exists(conversation_id)',
          ExpressionAttributeValues: {
            ':task': outcome.taskComplete ? 1 : 0,
            ':now': now.toISOString(),
            ...(handOff ? { ':true': true, ':reason': outcome.handOffReason } : {}),
          },
        }),
      );
    } catch (error) {
      throw databaseError(error);
    }
  },
});
