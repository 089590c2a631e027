import { ChannelDescriptor, structuredPart } from './channel-descriptor';
import { secretNameSchema } from './address-patterns';

/** E-mail: a subject and a plain-text body (Structured Outputs, strict). */
export const EMAIL_CONTENT_SCHEMA = {
  name: 'email_content',
  schema: {
    type: 'object',
    additionalProperties: false,
    required: ['subject', 'body'],
    properties: {
      subject: { type: 'string', description: 'A short, specific subject line.' },
      body: {
        type: 'string',
        description: 'The e-mail body as plain text; paragraphs separated by a blank line; signed by the company representative.',
      },
    },
  },
};

export const emailDescriptor: ChannelDescriptor = {
  name: 'email',
  recipientField: 'recipient_email',
  senderAddress: (config) => config.email?.company_email,
  credentialsSecretName: (config) => config.email?.email_credentials_id,
  credentialsKeys: ['sendgrid_api_key', 'sendgrid_from_email'],
  provider: 'sendgrid',
  obeysMaxMessageLength: false,
  idPart: (address) => address,
  channelConfigSchema: {
    type: 'object',
    required: ['company_email', 'email_credentials_id'],
    additionalProperties: false,
    properties: {
      company_email: { type: 'string', format: 'email' },
      email_credentials_id: secretNameSchema,
      email_from_name: { type: 'string', maxLength: 200 },
      // SendGrid sets no per-sender rate; a project may still pace its mail (a warming IP).
      messages_per_second: { type: 'number', exclusiveMinimum: 0, maximum: 10000 },
    },
  },
  firstMessageSchema: EMAIL_CONTENT_SCHEMA,
  combinedPart: structuredPart(EMAIL_CONTENT_SCHEMA.schema),
};
