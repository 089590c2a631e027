import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { ConversationKey } from '../conversations/types';
import { transient } from '../errors/app-error';
import { ErrorCodes } from '../errors/error-codes';

/**
 * The newest message the person has sent on a conversation, noted by the webhook before the
 * message is queued. The reply step answering an earlier message sees that a later one is
 * waiting behind it in the thread's queue, and leaves the answer to that one, which answers
 * everything the person wrote meanwhile in one turn: a burst of messages costs one AI turn and
 * one answer, not one each.
 */
export interface LatestInbound {
  note(key: ConversationKey, inboundId: string, receivedAt: string): Promise<void>;
}

export const dynamoLatestInbound = (client: DynamoDBDocumentClient, conversationsTable: string): LatestInbound => ({
  async note(key, inboundId, receivedAt) {
    try {
      await client.send(
        new UpdateCommand({
          TableName: conversationsTable,
          Key: key,
          UpdateExpression: 'SET latest_inbound_at = :at, latest_inbound_id = :id',
          ConditionExpression: 'attribute_exists(conversation_id) AND (attribute_not_exists(latest_inbound_at) OR latest_inbound_at < :at)',
          ExpressionAttributeValues: { ':at': receivedAt, ':id': inboundId },
        }),
      );
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return; // a later one is noted already, or no such conversation
      throw transient(ErrorCodes.DATABASE_ERROR, 'The conversation could not be updated.', error);
    }
  },
});

/** A later message of the person's is waiting on this conversation: this one's answer is left to it. */
export const laterMessageWaiting = (conversation: Record<string, unknown>, inbound: { inbound_id: string; received_at: string }): boolean =>
  typeof conversation.latest_inbound_at === 'string' &&
  conversation.latest_inbound_id !== inbound.inbound_id &&
  conversation.latest_inbound_at > inbound.received_at;
