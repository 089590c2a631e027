import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { queryAll } from '../aws/query-all';
import { ConversationItem, ConversationKey } from '../conversations/types';
import { transient } from '../errors/app-error';
import { ErrorCodes } from '../errors/error-codes';

/** The AI answers the thread again: every conversation of its request, on every channel. */
export interface HandBack {
  /** Returns the conversations handed back now (0: none was with a person). */
  handBackThread(conversation: ConversationItem, agentName: string, now: Date): Promise<ConversationKey[]>;
}

const databaseError = (error: unknown) => transient(ErrorCodes.DATABASE_ERROR, 'The conversation could not be handed back.', error);

/**
 * The inverse of the reply step's hand-off (conversation-updates.ts `handOffThread`): the request's
 * conversations by the request-id-index, this company's and project's only, each one conditional
 * update. The day's automatic-answer budget starts again: the person at the company decided the
 * AI may answer, and a budget spent before the hand-off would hand the next reply straight back.
 */
export const dynamoHandBack = (client: DynamoDBDocumentClient, tableName: string): HandBack => ({
  async handBackThread(conversation, agentName, now) {
    const prefix = `${String(conversation.company_id)}#${String(conversation.project_id)}#${String(conversation.request_id)}#`;
    let keys: ConversationKey[];
    try {
      keys = (
        await queryAll(client, {
          TableName: tableName,
          IndexName: 'request-id-index',
          KeyConditionExpression: 'request_id = :id',
          ExpressionAttributeValues: { ':id': String(conversation.request_id) },
        })
      )
        .map((item) => ({ primary_channel: String(item.primary_channel), conversation_id: String(item.conversation_id) }))
        .filter((key) => key.conversation_id.startsWith(prefix) || key.conversation_id === conversation.conversation_id);
    } catch (error) {
      throw databaseError(error);
    }
    const handedBack: ConversationKey[] = [];
    for (const key of keys) {
      try {
        await client.send(
          new UpdateCommand({
            TableName: tableName,
            Key: key,
            UpdateExpression:
              'SET hand_off_to_human = :false, handed_back_at = :now, handed_back_by = :agent, updated_at = :now REMOVE hand_off_reason, answers_window_start, answers_in_window',
            ConditionExpression: 'attribute_exists(conversation_id) AND hand_off_to_human = :true',
            ExpressionAttributeValues: { ':true': true, ':false': false, ':now': now.toISOString(), ':agent': agentName },
          }),
        );
        handedBack.push(key);
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw databaseError(error);
      }
    }
    return handedBack;
  },
});
