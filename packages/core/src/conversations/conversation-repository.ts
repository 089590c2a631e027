import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { transient } from '../errors/app-error';
import { ErrorCodes } from '../errors/error-codes';
import { ConversationItem, ConversationKey } from './types';

/**
 * The conversations table as its readers see it. A conversation is written by the deliveries of
 * its messages (`messages/delivery-repository.ts`): created by its first message's claim, told of
 * each message sent or failed in the same transaction that records it on the message.
 */
export interface ConversationRepository {
  get(key: ConversationKey): Promise<ConversationItem | undefined>;
}

export const dynamoConversationRepository = (client: DynamoDBDocumentClient, tableName: string): ConversationRepository => ({
  async get(key) {
    try {
      const result = await client.send(new GetCommand({ TableName: tableName, Key: key, ConsistentRead: true }));
      return result.Item as ConversationItem | undefined;
    } catch (error) {
      throw transient(ErrorCodes.DATABASE_ERROR, 'The conversation could not be read.', error);
    }
  },
});
