import { carriesTemplateVariables, ChannelAdapter, classifyTwilioError, ContextObject, findTwilioMessageFor, permanent, PROVIDER_PERMANENT, SentMessage, twilioClientFor } from '@ai-multi-comms/core';

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

  contentToSend: ({ ai }) => JSON.stringify(ai.json ?? {}),

  async send({ contextObject, credentials, ai }): Promise<SentMessage> {
    const client = twilioClientFor(credentials.twilio_account_sid, credentials.twilio_auth_token);
    const contentVariables = whatsappChannel.contentToSend({ contextObject, ai });
    try {
      const message = await client.messages.create({
        from: whatsappAddress(senderOf(contextObject).company_whatsapp_number),
        to: whatsappAddress(contextObject.frontend_payload.recipient_data.recipient_tel!),
        contentSid: credentials.twilio_template_sid,
        contentVariables,
      });
      return { messageId: message.sid, content: message.body || contentVariables };
    } catch (error) {
      throw classifyTwilioError(error);
    }
  },

  async reconcile({ contextObject, credentials, intents }) {
    const ours = await findTwilioMessageFor(twilioClientFor(credentials.twilio_account_sid, credentials.twilio_auth_token), {
      from: whatsappAddress(senderOf(contextObject).company_whatsapp_number),
      to: whatsappAddress(contextObject.frontend_payload.recipient_data.recipient_tel!),
      intents,
      matches: carriesTemplateVariables,
    });
    return ours ? { messageId: ours.sid, content: ours.body } : undefined;
  },

  inboundKey: (contextObject) =>
    `whatsapp#${senderOf(contextObject).company_whatsapp_number}#${contextObject.frontend_payload.recipient_data.recipient_tel}`,
};
