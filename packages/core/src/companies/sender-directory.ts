import { BatchWriteCommand, DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { TWILIO_CHANNELS, twilioAddressOf } from '../channels';
import { CompanyProject } from './types';
import { transient } from '../errors/app-error';
import { ErrorCodes } from '../errors/error-codes';
import { Channel } from '../request/types';

/**
 * The sender-addresses table: which project sends from a company number, and the secret that
 * holds the Twilio account's auth token. The Twilio webhook needs it before it can trust a single
 * parameter of the call: the signature is made with the auth token of the account that owns `To`.
 * Onboarding writes an entry for each Twilio number of a project.
 */
export interface SenderAddress {
  /** `whatsapp:+E164` or `sms:+E164`. */
  sender_address: string;
  channel: Channel;
  company_id: string;
  project_id: string;
  /** The Secrets Manager name of the channel's Twilio credentials (twilio_account_sid, twilio_auth_token). */
  credentials_id: string;
  updated_at: string;
}

export interface SenderDirectory {
  find(address: string): Promise<SenderAddress | undefined>;
  putAll(entries: SenderAddress[]): Promise<void>;
}

/** A Twilio `To` as the directory keys it: `whatsapp:+44…` for WhatsApp, `sms:+44…` for a plain number. */
export const senderAddressKey = (channel: Channel, number: string): string => `${channel}:${twilioAddressOf(number).number}`;

/** The directory entries of a project: one per Twilio number it sends from. */
export const senderAddressesOf = (
  project: Pick<CompanyProject, 'company_id' | 'project_id' | 'channel_config'>,
  now: Date,
): SenderAddress[] => {
  const base = { company_id: project.company_id, project_id: project.project_id, updated_at: now.toISOString() };
  return TWILIO_CHANNELS.flatMap((descriptor) => {
    const number = descriptor.senderAddress(project.channel_config);
    const credentialsId = descriptor.credentialsSecretName(project.channel_config);
    return number && credentialsId
      ? [{ ...base, sender_address: senderAddressKey(descriptor.name, number), channel: descriptor.name, credentials_id: credentialsId }]
      : [];
  });
};

export const dynamoSenderDirectory = (client: DynamoDBDocumentClient, tableName: string): SenderDirectory => ({
  async find(address) {
    try {
      return (await client.send(new GetCommand({ TableName: tableName, Key: { sender_address: address } }))).Item as
        | SenderAddress
        | undefined;
    } catch (error) {
      throw transient(ErrorCodes.DATABASE_ERROR, 'The sender directory could not be read.', error);
    }
  },
  async putAll(entries) {
    if (entries.length === 0) return;
    let pending = entries.map((Item) => ({ PutRequest: { Item } }));
    for (let attempt = 0; pending.length > 0 && attempt < 5; attempt += 1) {
      const result = await client.send(new BatchWriteCommand({ RequestItems: { [tableName]: pending } }));
      pending = (result.UnprocessedItems?.[tableName] ?? []) as typeof pending;
    }
    if (pending.length > 0) throw transient(ErrorCodes.DATABASE_ERROR, 'The sender directory could not be written.');
  },
});
