import { carriesTemplateVariables, ChannelAdapter, classifyTwilioError, ContextObject, findTwilioMessageFor, permanent, PROVIDER_PERMANENT, sameText, SentMessage, twilioClientFor, twilioStatusCallbackUrl, validityPeriodFor } from '@ai-multi-comms/core';

const statusCallback = () => {
  const url = twilioStatusCallbackUrl(process.env.WEBHOOK_BASE_URL);
  return url ? { statusCallback: url } : {};
};

/** WhatsApp's longest free-text body (Twilio refuses longer ones with 21617). */
const MAX_BODY = 1600;

/** The WhatsApp credentials secret (docs/data-model.md). */
export interface WhatsAppCredentials extends Record<string, string> {
  twilio_account_sid: string;
  twilio_auth_token: string;
  twilio_template_sid: string;
}

/** `whatsapp:` + E.164, exactly once, whatever the stored form. */
export const whatsappAddress = (number: string): string => `whatsapp:${number.replace(/^(whatsapp:)+/, '')}`;

const senderOf = (contextObject: ContextObject) => {
  const config = contextObject.company_data_payload.channel_config.whatsapp;
  if (!config) throw permanent(PROVIDER_PERMANENT, 'The project has no WhatsApp sender configured.');
  return config;
};

export const whatsappChannel: ChannelAdapter<WhatsAppCredentials> = {
  channel: 'whatsapp',

  credentialsSecret: (contextObject) => ({
    name: senderOf(contextObject).whatsapp_credentials_id,
    requiredKeys: ['twilio_account_sid', 'twilio_auth_token', 'twilio_template_sid'],
  }),

  // A first message is an approved template (the 24-hour window is closed); an answer to the
  // person's reply is free text, which the window their message opened allows.
  contentToSend: ({ ai, reply }) => (reply ? ai.text.slice(0, MAX_BODY) : JSON.stringify(ai.json ?? {})),

  async send({ contextObject, credentials, ai, reply }): Promise<SentMessage> {
    const client = twilioClientFor(credentials.twilio_account_sid, credentials.twilio_auth_token);
    const content = whatsappChannel.contentToSend({ contextObject, ai, reply });
    try {
      const message = await client.messages.create({
        from: whatsappAddress(senderOf(contextObject).company_whatsapp_number),
        to: whatsappAddress(contextObject.frontend_payload.recipient_data.recipient_tel!),
        ...(reply ? { body: content } : { contentSid: credentials.twilio_template_sid, contentVariables: content }),
        // How long it may wait in the sender's queue (docs/throughput.md).
        validityPeriod: validityPeriodFor(reply !== undefined),
        // The providers' word on delivery (docs/processing.md "Delivery status").
        ...statusCallback(),
      });
      return { messageId: message.sid, content: message.body || content };
    } catch (error) {
      throw classifyTwilioError(error);
    }
  },

  async reconcile({ contextObject, credentials, intents, reply }) {
    const ours = await findTwilioMessageFor(twilioClientFor(credentials.twilio_account_sid, credentials.twilio_auth_token), {
      from: whatsappAddress(senderOf(contextObject).company_whatsapp_number),
      to: whatsappAddress(contextObject.frontend_payload.recipient_data.recipient_tel!),
      intents,
      matches: reply ? sameText : carriesTemplateVariables,
    });
    return ours ? { messageId: ours.sid, content: ours.body } : undefined;
  },

  inboundKey: (contextObject) =>
    `whatsapp#${senderOf(contextObject).company_whatsapp_number}#${contextObject.frontend_payload.recipient_data.recipient_tel}`,
};
