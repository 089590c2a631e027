import { ChannelDescriptor, structuredPart } from './channel-descriptor';
import { E164_PATTERN, secretNameSchema } from './address-patterns';

/**
 * WhatsApp: a Twilio content template whose numbered placeholders the AI fills (Structured
 * Outputs, strict: every property required, nothing else allowed). A first message outside the
 * 24-hour window must be a template.
 */
export const WHATSAPP_TEMPLATE_VARIABLES_SCHEMA = {
  name: 'whatsapp_template_variables',
  schema: {
    type: 'object',
    additionalProperties: false,
    required: ['1', '2', '3', '4'],
    properties: {
      '1': { type: 'string', description: "The recipient's first name, or a friendly greeting word if unknown." },
      '2': { type: 'string', description: 'The name of the company representative writing.' },
      '3': { type: 'string', description: 'The job role or subject this conversation is about.' },
      '4': { type: 'string', description: 'One or two short personalised sentences inviting a reply.' },
    },
  },
};

/** WhatsApp's customer-care window: free text only within 24 hours of the person's last message. */
export const WHATSAPP_WINDOW_MS = 24 * 3_600_000;
export const WHATSAPP_WINDOW_CLOSED = 'WHATSAPP_WINDOW_CLOSED';

/** Whether free text may still go to a person whose last message arrived at `lastInboundAt`. */
export const whatsappWindowOpen = (lastInboundAt: string, now: Date): boolean => {
  const at = Date.parse(lastInboundAt);
  return Number.isFinite(at) && now.getTime() - at < WHATSAPP_WINDOW_MS;
};

export const whatsappDescriptor: ChannelDescriptor = {
  name: 'whatsapp',
  recipientField: 'recipient_tel',
  senderAddress: (config) => config.whatsapp?.company_whatsapp_number,
  credentialsSecretName: (config) => config.whatsapp?.whatsapp_credentials_id,
  credentialsKeys: ['twilio_account_sid', 'twilio_auth_token', 'twilio_template_sid'],
  provider: 'twilio',
  twilioAddressPrefix: 'whatsapp:',
  obeysMaxMessageLength: false,
  idPart: (number) => number.replace(/^\+/, ''),
  // A WhatsApp sender's default throughput on Twilio is 80 messages per second.
  defaultMessagesPerSecond: 80,
  channelConfigSchema: {
    type: 'object',
    required: ['company_whatsapp_number', 'whatsapp_credentials_id'],
    additionalProperties: false,
    properties: {
      company_whatsapp_number: { type: 'string', pattern: E164_PATTERN },
      whatsapp_credentials_id: secretNameSchema,
      messages_per_second: { type: 'number', exclusiveMinimum: 0, maximum: 10000 },
      // The template an answer goes as once the 24-hour window has closed ({{1}} first name, {{2}} the answer).
      reengagement_template_sid: { type: 'string', pattern: '^HX[0-9a-fA-F]{32}$' },
    },
  },
  firstMessageSchema: WHATSAPP_TEMPLATE_VARIABLES_SCHEMA,
  combinedPart: structuredPart(WHATSAPP_TEMPLATE_VARIABLES_SCHEMA.schema),
};
