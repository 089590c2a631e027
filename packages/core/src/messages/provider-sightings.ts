import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { transient } from '../errors/app-error';
import { ErrorCodes } from '../errors/error-codes';
import { MessageKey, ProviderSighting } from './types';

/**
 * The provider's own word that it has one of our messages, written on the message item by the
 * status webhook (SendGrid's events carry our conversation id and message key in custom_args).
 * A sender that lost the answer to its send finds it there when it reconciles (docs/processing.md
 * "Reconcile"), without Email Activity. The first sighting stays; an item that does not exist
 * (erased, or never ours) is left alone.
 */
export interface ProviderSightings {
  record(key: MessageKey, sighting: ProviderSighting): Promise<'recorded' | 'known' | 'no-such-message'>;
}

export const dynamoProviderSightings = (client: DynamoDBDocumentClient, messagesTable: string): ProviderSightings => ({
  async record(key, sighting) {
    try {
      await client.send(
        new UpdateCommand({
          TableName: messagesTable,
          Key: { conversation_id: key.conversation_id, message_key: key.message_key },
          UpdateExpression: 'SET provider_seen = :seen',
          ConditionExpression: 'attribute_exists(conversation_id) AND attribute_not_exists(provider_seen)',
          ExpressionAttributeValues: { ':seen': sighting },
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return 'recorded';
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return error.Item ? 'known' : 'no-such-message';
      throw transient(ErrorCodes.DATABASE_ERROR, 'The provider sighting could not be recorded.', error);
    }
  },
});
