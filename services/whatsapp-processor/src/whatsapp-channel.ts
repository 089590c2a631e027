import {
  ChannelAdapter,
  classifyTwilioError,
  ContextObject,
  fetchTemplateText,
  findTwilioMessageFor,
  permanent,
  PROVIDER_PERMANENT,
  ProviderFailure,
  rendersTemplate,
  sameText,
  SentMessage,
  twilioClientFor,
  twilioStatusCallbackUrl,
  validityPeriodFor,
  whatsappWindowOpen,
  WHATSAPP_WINDOW_CLOSED,
} from '@ai-multi-comms/core';
import { CHANNEL_DESCRIPTORS } from '@ai-multi-comms/core';
import type { AiResult, ReplyDetails, SendIntent } from '@ai-multi-comms/core';

const statusCallback = () => {
  const url = twilioStatusCallbackUrl(process.env.WEBHOOK_BASE_URL);
  return url ? { statusCallback: url } : {};
};

/** WhatsApp's longest free-text body (Twilio refuses longer ones with 21617). */
const MAX_BODY = 1600;
/** A template variable: one line (WhatsApp refuses new lines, tabs and long runs of spaces in one), within WhatsApp's 1,024 characters. */
const MAX_VARIABLE = 1000;

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

/**
 * What one WhatsApp send is: a template with variables, or free text. A first message is the
 * project's approved template (the window is closed). An answer to the person's reply is free
 * text while the 24-hour window their message opened lasts; after it, WhatsApp refuses free text
 * (Twilio fails it with 63016), so the answer goes as the project's re-engagement template
 * (`reengagement_template_sid`: {{1}} the first name, {{2}} the answer on one line) or, without
 * one, is not sent at all: WHATSAPP_WINDOW_CLOSED.
 */
type WhatsAppSend =
  | { kind: 'template'; contentSid?: string; variables: Record<string, string> }
  | { kind: 'text'; body: string }
  | { kind: 'window-closed' };

const whatsappSendFor = (input: { contextObject: ContextObject; ai: AiResult; reply?: ReplyDetails; now: Date }): WhatsAppSend => {
  const { contextObject, ai, reply, now } = input;
  if (!reply) return { kind: 'template', variables: (ai.json ?? {}) as Record<string, string> };
  if (whatsappWindowOpen(reply.person_wrote_at ?? contextObject.metadata.received_at, now))
    return { kind: 'text', body: ai.text.slice(0, MAX_BODY) };
  const reengagement = senderOf(contextObject).reengagement_template_sid;
  if (!reengagement) return { kind: 'window-closed' };
  const firstName = contextObject.frontend_payload.recipient_data.recipient_first_name || 'there';
  return {
    kind: 'template',
    contentSid: reengagement,
    variables: { '1': firstName, '2': ai.text.replace(/\s+/g, ' ').trim().slice(0, MAX_VARIABLE) },
  };
};

export const whatsappChannel: ChannelAdapter<WhatsAppCredentials> = {
  channel: 'whatsapp',

  credentialsSecret: (contextObject) => ({
    name: senderOf(contextObject).whatsapp_credentials_id,
    requiredKeys: [...CHANNEL_DESCRIPTORS.whatsapp.credentialsKeys] as (keyof WhatsAppCredentials & string)[],
  }),

  contentToSend: (input) => {
    const planned = whatsappSendFor(input);
    return planned.kind === 'template' ? JSON.stringify(planned.variables) : planned.kind === 'text' ? planned.body : input.ai.text;
  },

  async send({ contextObject, credentials, ai, reply, now }): Promise<SentMessage> {
    const planned = whatsappSendFor({ contextObject, ai, reply, now });
    if (planned.kind === 'window-closed') {
      throw new ProviderFailure(
        'permanent',
        WHATSAPP_WINDOW_CLOSED,
        `${WHATSAPP_WINDOW_CLOSED}: the person wrote more than 24 hours ago and the project has no re-engagement template; WhatsApp allows no free text now.`,
        undefined,
        { notSent: true },
      );
    }
    const client = twilioClientFor(credentials.twilio_account_sid, credentials.twilio_auth_token);
    try {
      const message = await client.messages.create({
        from: whatsappAddress(senderOf(contextObject).company_whatsapp_number),
        to: whatsappAddress(contextObject.frontend_payload.recipient_data.recipient_tel!),
        ...(planned.kind === 'text'
          ? { body: planned.body }
          : { contentSid: planned.contentSid ?? credentials.twilio_template_sid, contentVariables: JSON.stringify(planned.variables) }),
        // How long it may wait in the sender's queue (docs/throughput.md).
        validityPeriod: validityPeriodFor(reply !== undefined),
        // The providers' word on delivery (docs/processing.md "Delivery status").
        ...statusCallback(),
      });
      // Twilio's body is the text the person sees (a template rendered); it is what the conversation shows.
      return {
        messageId: message.sid,
        content: message.body || (planned.kind === 'text' ? planned.body : JSON.stringify(planned.variables)),
      };
    } catch (error) {
      throw classifyTwilioError(error);
    }
  },

  async reconcile({ contextObject, credentials, intents, reply }) {
    const client = twilioClientFor(credentials.twilio_account_sid, credentials.twilio_auth_token);
    // A template message is recognised by its rendered text: render ours the same way (the
    // Content API, cached). An answer went as free text, or (its window closed) as the
    // re-engagement template: each intent's content says which, so both are tried.
    const templateSid = reply ? senderOf(contextObject).reengagement_template_sid : credentials.twilio_template_sid;
    const rendered = templateSid ? rendersTemplate(await fetchTemplateText(client, templateSid)) : undefined;
    const matches = reply ? (intent: SendIntent, body: string) => sameText(intent, body) || (rendered?.(intent, body) ?? false) : rendered!;
    const ours = await findTwilioMessageFor(client, {
      from: whatsappAddress(senderOf(contextObject).company_whatsapp_number),
      to: whatsappAddress(contextObject.frontend_payload.recipient_data.recipient_tel!),
      intents,
      matches,
    });
    return ours ? { messageId: ours.sid, content: ours.body } : undefined;
  },

  inboundKey: (contextObject) =>
    `whatsapp#${senderOf(contextObject).company_whatsapp_number}#${contextObject.frontend_payload.recipient_data.recipient_tel}`,
};
