import { ChannelDescriptor } from './channel-descriptor';

/** The SMS part of a combined first message: its plain text in a field (a combined output is one JSON object). */
export const SMS_PART_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['text'],
  properties: {
    text: {
      type: 'string',
      description: 'Plain text, within max_message_length characters when given.',
    },
  },
};
import { E164_PATTERN, secretNameSchema } from './address-patterns';

/** SMS: plain text, which the sender fits to the project's max_message_length. */
export const smsDescriptor: ChannelDescriptor = {
  name: 'sms',
  recipientField: 'recipient_tel',
  senderAddress: (config) => config.sms?.company_sms_number,
  credentialsSecretName: (config) => config.sms?.sms_credentials_id,
  credentialsKeys: ['twilio_account_sid', 'twilio_auth_token'],
  provider: 'twilio',
  twilioAddressPrefix: '',
  obeysMaxMessageLength: true,
  idPart: (number) => number.replace(/^\+/, ''),
  // Twilio sends 1 message segment per second from a US long code (its documented default; short
  // codes and toll-free numbers send more): the conservative default.
  defaultMessagesPerSecond: 1,
  channelConfigSchema: {
    type: 'object',
    required: ['company_sms_number', 'sms_credentials_id'],
    additionalProperties: false,
    properties: {
      company_sms_number: { type: 'string', pattern: E164_PATTERN },
      sms_credentials_id: secretNameSchema,
      messages_per_second: { type: 'number', exclusiveMinimum: 0, maximum: 10000 },
    },
  },
  combinedPart: { schema: SMS_PART_SCHEMA, toComposed: (part) => ({ text: String(part.text) }) },
};
