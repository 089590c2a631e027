import {
  ChannelAdapter,
  classifyTwilioError,
  ContextObject,
  countSmsSegments,
  findTwilioMessageFor,
  fitText,
  permanent,
  PROVIDER_PERMANENT,
  sameText,
  twilioClientFor,
  twilioStatusCallbackUrl,
  validityPeriodFor,
} from '@ai-multi-comms/core';
import { CHANNEL_DESCRIPTORS } from '@ai-multi-comms/core';

/** The SMS credentials secret (docs/data-model.md); no template for plain SMS. */
export interface SmsCredentials extends Record<string, string> {
  twilio_account_sid: string;
  twilio_auth_token: string;
}

/** Without a project setting, one concatenated SMS of up to 10 segments. */
const DEFAULT_MAX_LENGTH = 1530;

const senderOf = (contextObject: ContextObject) => {
  const config = contextObject.company_data_payload.channel_config.sms;
  if (!config) throw permanent(PROVIDER_PERMANENT, 'The project has no SMS sender configured.');
  return config;
};

/** The SMS channel: the AI's plain text (within max_message_length), sent with Twilio Programmable Messaging. */
export const smsChannel: ChannelAdapter<SmsCredentials> = {
  channel: 'sms',

  credentialsSecret: (contextObject) => ({
    name: senderOf(contextObject).sms_credentials_id,
    requiredKeys: [...CHANNEL_DESCRIPTORS.sms.credentialsKeys] as (keyof SmsCredentials & string)[],
  }),

  contentToSend: ({ contextObject, ai }) =>
    fitText(ai.text, contextObject.company_data_payload.rate_limits?.max_message_length ?? DEFAULT_MAX_LENGTH),

  async send({ contextObject, credentials, ai, reply, now }) {
    const body = smsChannel.contentToSend({ contextObject, ai, now });
    const client = twilioClientFor(credentials.twilio_account_sid, credentials.twilio_auth_token);
    try {
      const statusCallback = twilioStatusCallbackUrl(process.env.WEBHOOK_BASE_URL);
      const message = await client.messages.create({
        from: senderOf(contextObject).company_sms_number,
        to: contextObject.frontend_payload.recipient_data.recipient_tel!,
        body,
        // How long it may wait in the sender's queue (docs/throughput.md).
        validityPeriod: validityPeriodFor(reply !== undefined),
        // The providers' word on delivery (docs/processing.md "Delivery status").
        ...(statusCallback ? { statusCallback } : {}),
      });
      const { encoding, segments } = countSmsSegments(body);
      return { messageId: message.sid, content: body, details: { encoding, segments } };
    } catch (error) {
      throw classifyTwilioError(error);
    }
  },

  async reconcile({ contextObject, credentials, intents }) {
    const ours = await findTwilioMessageFor(twilioClientFor(credentials.twilio_account_sid, credentials.twilio_auth_token), {
      from: senderOf(contextObject).company_sms_number,
      to: contextObject.frontend_payload.recipient_data.recipient_tel!,
      intents,
      matches: sameText,
    });
    if (!ours) return undefined;
    const { encoding, segments } = countSmsSegments(ours.body);
    return { messageId: ours.sid, content: ours.body, details: { encoding, segments } };
  },

  // Twilio's messages-per-second are segments per second for SMS.
  sendUnits: (content) => countSmsSegments(content).segments,

  inboundKey: (contextObject) =>
    `sms#${senderOf(contextObject).company_sms_number}#${contextObject.frontend_payload.recipient_data.recipient_tel}`,
};
