import { DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { transient } from '../errors/app-error';
import { ErrorCodes } from '../errors/error-codes';

/**
 * Whose message a provider id is: the conversation of the message item that recorded it (the
 * messages table's sparse provider-message-id-index). A status callback may only change its own
 * tenant's message (docs/api.md "Webhooks"). The index is eventually consistent: a message
 * recorded a moment ago may not be found yet, which the caller treats as "no message yet".
 */
export interface ProviderMessageOwners {
  conversationOf(providerMessageId: string): Promise<string | undefined>;
}

export const dynamoProviderMessageOwners = (client: DynamoDBDocumentClient, messagesTable: string): ProviderMessageOwners => ({
  async conversationOf(providerMessageId) {
    try {
      const result = await client.send(
        new QueryCommand({
          TableName: messagesTable,
          IndexName: 'provider-message-id-index',
          KeyConditionExpression: 'provider_message_id = :id',
          ExpressionAttributeValues: { ':id': providerMessageId },
          Limit: 1,
        }),
      );
      return result.Items?.[0]?.conversation_id as string | undefined;
    } catch (error) {
      throw transient(ErrorCodes.DATABASE_ERROR, 'The message could not be looked up.', error);
    }
  },
});

/** Conversation ids begin with their company and project (`company#project#request#…`). */
export const conversationBelongsTo = (conversationId: string, tenant: { companyId: string; projectId: string }): boolean =>
  conversationId.startsWith(`${tenant.companyId}#${tenant.projectId}#`);
