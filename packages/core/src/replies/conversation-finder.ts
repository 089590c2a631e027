import { DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { ConversationItem } from '../conversations/types';
import { transient } from '../errors/app-error';
import { ErrorCodes } from '../errors/error-codes';

/**
 * How a reply finds its conversation (docs/processing.md "Linking"), each through an index, never
 * a scan: by the id of our message it answers (WhatsApp's OriginalRepliedMessageSid, via the
 * messages table's provider-message-id-index), or by the conversations table's inbound-index
 * (`whatsapp#<company number>#<person>`, `sms#…`, `email#<token>`), most recent first.
 */
export interface ConversationFinder {
  byProviderMessageId(providerMessageId: string): Promise<ConversationItem | undefined>;
  byInboundKey(inboundKey: string): Promise<ConversationItem | undefined>;
  byConversationId(conversationId: string): Promise<ConversationItem | undefined>;
}

const databaseError = (error: unknown) => transient(ErrorCodes.DATABASE_ERROR, 'The conversation could not be looked up.', error);

export const dynamoConversationFinder = (
  client: DynamoDBDocumentClient,
  tables: { conversations: string; messages: string },
): ConversationFinder => {
  const byConversationId = async (conversationId: string) => {
    const result = await client.send(
      new QueryCommand({
        TableName: tables.conversations,
        IndexName: 'conversation-id-index',
        KeyConditionExpression: 'conversation_id = :id',
        ExpressionAttributeValues: { ':id': conversationId },
        Limit: 1,
      }),
    );
    return result.Items?.[0] as ConversationItem | undefined;
  };
  return {
    async byProviderMessageId(providerMessageId) {
      try {
        const result = await client.send(
          new QueryCommand({
            TableName: tables.messages,
            IndexName: 'provider-message-id-index',
            KeyConditionExpression: 'provider_message_id = :id',
            ExpressionAttributeValues: { ':id': providerMessageId },
            Limit: 1,
          }),
        );
        const conversationId = result.Items?.[0]?.conversation_id as string | undefined;
        return conversationId ? await byConversationId(conversationId) : undefined;
      } catch (error) {
        throw databaseError(error);
      }
    },
    async byConversationId(conversationId) {
      try {
        return await byConversationId(conversationId);
      } catch (error) {
        throw databaseError(error);
      }
    },
    async byInboundKey(inboundKey) {
      try {
        const result = await client.send(
          new QueryCommand({
            TableName: tables.conversations,
            IndexName: 'inbound-index',
            KeyConditionExpression: 'inbound_key = :key',
            ExpressionAttributeValues: { ':key': inboundKey },
            ScanIndexForward: false,
            Limit: 1,
          }),
        );
        return result.Items?.[0] as ConversationItem | undefined;
      } catch (error) {
        throw databaseError(error);
      }
    },
  };
};
