import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, DynamoDBDocumentClient, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { transient } from '../errors/app-error';
import { ErrorCodes } from '../errors/error-codes';
import { Channel } from '../request/types';
import { DeliveryStatus, rankOf } from './statuses';

/**
 * The delivery-events table (key: `provider_message_id`, `event_key`): per message we sent, its
 * current status (`event_key` = `status`) and every provider event once (`event#<id>`: SendGrid's
 * sg_event_id, Twilio's status, since the message sid is the partition). Keyed by the provider's
 * id, so a callback that arrives before the sender recorded that id is kept all the same.
 * Each callback is two conditional writes: the event if new, the status if forward. Both carry
 * `expires_at` (TTL), so a message's events go with its project's retention like its conversation.
 */
export interface DeliveryEvent {
  providerMessageId: string;
  /** Unique per provider event: the same event delivered twice has the same id. */
  eventId: string;
  channel: Channel;
  provider: 'twilio' | 'sendgrid';
  /** The provider's own name for it (Twilio's MessageStatus, SendGrid's event). */
  providerEvent: string;
  /** Our status for it, when it is a delivery step. */
  status?: DeliveryStatus;
  errorCode?: string;
  errorMessage?: string;
  /** When it happened, in the provider's time when it gives one. */
  at: string;
  /** Epoch seconds when DynamoDB may delete it (TTL): its project's retention, as its conversation. */
  expiresAt?: number;
}

export interface CurrentDelivery {
  provider_message_id: string;
  delivery_status: DeliveryStatus;
  delivery_error_code?: string;
  delivery_error?: string;
  delivery_updated_at: string;
}

export interface DeliveryStatusStore {
  /** Record the event (once) and move the status forward (if it is). */
  record(event: DeliveryEvent, now: Date): Promise<{ newEvent: boolean; statusChanged: boolean }>;
  current(providerMessageIds: string[]): Promise<Map<string, CurrentDelivery>>;
  history(providerMessageId: string): Promise<Record<string, unknown>[]>;
}

const STATUS = 'status';
const databaseError = (error: unknown) => transient(ErrorCodes.DATABASE_ERROR, 'The delivery event could not be recorded.', error);

export const dynamoDeliveryStatusStore = (client: DynamoDBDocumentClient, tableName: string): DeliveryStatusStore => ({
  async record(event, now) {
    let newEvent = true;
    try {
      await client.send(
        new PutCommand({
          TableName: tableName,
          Item: {
            provider_message_id: event.providerMessageId,
            event_key: `event#${event.eventId}`,
            provider: event.provider,
            channel: event.channel,
            provider_event: event.providerEvent,
            ...(event.status ? { delivery_status: event.status } : {}),
            ...(event.errorCode ? { error_code: event.errorCode } : {}),
            ...(event.errorMessage ? { error_message: event.errorMessage } : {}),
            at: event.at,
            recorded_at: now.toISOString(),
            ...(event.expiresAt ? { expires_at: event.expiresAt } : {}),
          },
          ConditionExpression: 'attribute_not_exists(event_key)',
        }),
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw databaseError(error);
      newEvent = false;
    }
    if (!event.status) return { newEvent, statusChanged: false };
    try {
      await client.send(
        new UpdateCommand({
          TableName: tableName,
          Key: { provider_message_id: event.providerMessageId, event_key: STATUS },
          UpdateExpression:
            'SET delivery_status = :status, delivery_rank = :rank, channel = :channel, delivery_updated_at = :now, status_event_at = :at' +
            (event.errorCode ? ', delivery_error_code = :code' : '') +
            (event.errorMessage ? ', delivery_error = :message' : '') +
            (event.expiresAt ? ', expires_at = :expires' : ''),
          // Forward only: a lower or equal rank (a repeat, a late earlier step, a second final failure) changes nothing.
          ConditionExpression: 'attribute_not_exists(delivery_rank) OR delivery_rank < :rank',
          ExpressionAttributeValues: {
            ':status': event.status,
            ':rank': rankOf(event.status),
            ':channel': event.channel,
            ':now': now.toISOString(),
            ':at': event.at,
            ...(event.errorCode ? { ':code': event.errorCode } : {}),
            ...(event.errorMessage ? { ':message': event.errorMessage } : {}),
            ...(event.expiresAt ? { ':expires': event.expiresAt } : {}),
          },
        }),
      );
      return { newEvent, statusChanged: true };
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return { newEvent, statusChanged: false };
      throw databaseError(error);
    }
  },

  async current(providerMessageIds) {
    const found = new Map<string, CurrentDelivery>();
    const unique = [...new Set(providerMessageIds.filter(Boolean))];
    try {
      for (let start = 0; start < unique.length; start += 100) {
        let keys = unique.slice(start, start + 100).map((id) => ({ provider_message_id: id, event_key: STATUS }));
        for (let attempt = 0; keys.length > 0 && attempt < 5; attempt += 1) {
          const result = await client.send(new BatchGetCommand({ RequestItems: { [tableName]: { Keys: keys } } }));
          for (const item of result.Responses?.[tableName] ?? []) found.set(item.provider_message_id as string, item as CurrentDelivery);
          keys = (result.UnprocessedKeys?.[tableName]?.Keys ?? []) as typeof keys;
        }
      }
      return found;
    } catch (error) {
      throw transient(ErrorCodes.DATABASE_ERROR, 'The delivery statuses could not be read.', error);
    }
  },

  async history(providerMessageId) {
    const result = await client.send(
      new QueryCommand({
        TableName: tableName,
        KeyConditionExpression: 'provider_message_id = :id AND begins_with(event_key, :event)',
        ExpressionAttributeValues: { ':id': providerMessageId, ':event': 'event#' },
        ConsistentRead: true,
      }),
    );
    return result.Items ?? [];
  },
});
