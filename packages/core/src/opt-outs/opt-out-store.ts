import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { CHANNEL_DESCRIPTORS } from '../channels';
import { transient } from '../errors/app-error';
import { ErrorCodes } from '../errors/error-codes';
import { Channel, RecipientData } from '../request/types';

/**
 * A person's choice not to be contacted by a company on a channel address (docs/data-model.md,
 * "opt-outs"): recorded from an opt-out keyword, a provider's opt-out signal or an operator, lifted
 * by an opt-in keyword. The router refuses new requests to an opted-out address and every sender
 * checks it right before it sends, so even a message queued before the opt-out is not sent.
 */
export interface OptOutRecord {
  company_id: string;
  channel: Channel;
  address: string;
  opted_out: boolean;
  /** What said so: a keyword, Twilio's OptOutType, a SendGrid event, an operator. */
  source: string;
  /** When the person said so (the provider's time when it gives one): a later word wins, an older one arriving late changes nothing. */
  event_at: string;
  updated_at: string;
}

export interface OptOutStore {
  /** The channels of `channels` on which the person's address is opted out, for this company. */
  optedOutChannels(
    companyId: string,
    recipient: Pick<RecipientData, 'recipient_tel' | 'recipient_email'>,
    channels: readonly Channel[],
  ): Promise<Channel[]>;
  isOptedOut(companyId: string, channel: Channel, address: string): Promise<boolean>;
  /** Record an opt-out (true) or opt-in (false); false when a later word was already recorded. */
  record(input: Omit<OptOutRecord, 'updated_at'>, now: Date): Promise<boolean>;
}

/** Addresses compare as providers deliver them: an e-mail address without regard to case. */
export const normaliseAddress = (channel: Channel, address: string): string =>
  CHANNEL_DESCRIPTORS[channel].recipientField === 'recipient_email' ? address.trim().toLowerCase() : address.trim();

export const optOutKey = (companyId: string, channel: Channel, address: string): string =>
  `${companyId}#${channel}#${normaliseAddress(channel, address)}`;

const databaseError = (error: unknown) =>
  transient(ErrorCodes.DATABASE_ERROR, "The recipient's contact preferences could not be read. Please retry.", error);

export const dynamoOptOutStore = (client: DynamoDBDocumentClient, tableName: string): OptOutStore => ({
  async optedOutChannels(companyId, recipient, channels) {
    const keyed = channels
      .map((channel) => ({ channel, address: recipient[CHANNEL_DESCRIPTORS[channel].recipientField] }))
      .filter((entry): entry is { channel: Channel; address: string } => typeof entry.address === 'string' && entry.address.length > 0)
      .map((entry) => ({ ...entry, key: optOutKey(companyId, entry.channel, entry.address) }));
    if (keyed.length === 0) return [];
    try {
      // At most one key per channel: one BatchGetItem, consistent, so an opt-out just recorded counts.
      const result = await client.send(
        new BatchGetCommand({
          RequestItems: {
            [tableName]: {
              Keys: keyed.map(({ key }) => ({ opt_out_key: key })),
              ConsistentRead: true,
              ProjectionExpression: 'opt_out_key, opted_out',
            },
          },
        }),
      );
      if (Object.keys(result.UnprocessedKeys ?? {}).length > 0) throw new Error('unprocessed keys');
      const optedOut = new Set(
        (result.Responses?.[tableName] ?? []).filter((item) => item.opted_out === true).map((item) => item.opt_out_key as string),
      );
      return keyed.filter(({ key }) => optedOut.has(key)).map(({ channel }) => channel);
    } catch (error) {
      throw databaseError(error);
    }
  },

  async isOptedOut(companyId, channel, address) {
    try {
      const result = await client.send(
        new GetCommand({ TableName: tableName, Key: { opt_out_key: optOutKey(companyId, channel, address) }, ConsistentRead: true }),
      );
      return result.Item?.opted_out === true;
    } catch (error) {
      throw databaseError(error);
    }
  },

  async record(input, now) {
    try {
      await client.send(
        new UpdateCommand({
          TableName: tableName,
          Key: { opt_out_key: optOutKey(input.company_id, input.channel, input.address) },
          UpdateExpression:
            'SET company_id = :company, channel = :channel, address = :address, opted_out = :out, #source = :source, event_at = :at, updated_at = :now',
          // Forward in the person's time: an older word delivered late never undoes a newer one.
          ConditionExpression: 'attribute_not_exists(opt_out_key) OR event_at <= :at',
          ExpressionAttributeNames: { '#source': 'source' },
          ExpressionAttributeValues: {
            ':company': input.company_id,
            ':channel': input.channel,
            ':address': normaliseAddress(input.channel, input.address),
            ':out': input.opted_out,
            ':source': input.source,
            ':at': input.event_at,
            ':now': now.toISOString(),
          },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw transient(ErrorCodes.DATABASE_ERROR, 'The opt-out could not be recorded.', error);
    }
  },
});
