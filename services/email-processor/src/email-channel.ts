import {
  AwaitingProvider,
  headerSafe,
  ChannelAdapter,
  classifySendGridError,
  ContextObject,
  emailInboundKey,
  emailMessageIdFor,
  permanent,
  PROVIDER_PERMANENT,
  replyToAddressFor,
  sendGridFor,
  textOf,
  tokensInMessageIds,
} from '@ai-multi-comms/core';
import { CHANNEL_DESCRIPTORS } from '@ai-multi-comms/core';
import type { SendIntent } from '@ai-multi-comms/core';

/**
 * How long after a send whose answer was lost we wait for SendGrid's word before sending again,
 * when nothing says whether it took the mail (no Email Activity, no event yet). SendGrid posts
 * events in batches, usually within a minute of `processed`; 15 minutes is also SQS's longest
 * delay, so one delayed copy covers it.
 */
export const DEFAULT_CONFIRMATION_WAIT_MS = 900_000;

/** The X-Message-Id in a SendGrid message id (Email Activity's msg_id, events' sg_message_id: `<X-Message-Id>.filter…`). */
export const xMessageIdOf = (sendGridMessageId: string): string => sendGridMessageId.split('.')[0]!;

/** The Email Activity API is a paid add-on: without it (or without the key's permission) SendGrid refuses the query. */
const isNotEntitled = (error: unknown) => [401, 403].includes((error as { code?: unknown })?.code as number);

/** The e-mail credentials secret (docs/data-model.md). */
export interface EmailCredentials extends Record<string, string> {
  sendgrid_api_key: string;
  sendgrid_from_email: string;
  sendgrid_from_name: string;
}

const senderOf = (contextObject: ContextObject) => {
  const config = contextObject.company_data_payload.channel_config.email;
  if (!config) throw permanent(PROVIDER_PERMANENT, 'The project has no e-mail sender configured.');
  return config;
};

const escapeHtml = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
/** The plain-text body as simple HTML: one paragraph per blank-line-separated block. */
export const toHtml = (text: string) =>
  `<!doctype html><html><body>${text
    .split(/\n\s*\n/)
    .map((paragraph) => `<p>${escapeHtml(paragraph.trim()).replace(/\n/g, '<br>')}</p>`)
    .join('')}</body></html>`;

/**
 * Our own RFC 5322 Message-ID, derived from the conversation id (so every attempt uses the same
 * one): a reply's In-Reply-To/References carries it back, and the inbound-index finds the
 * conversation by the token in it (core channels/email-threading.ts).
 */
export const messageIdFor = (conversationId: string, fromEmail: string, messageKey?: string) =>
  emailMessageIdFor(conversationId, fromEmail, messageKey);

/**
 * The e-mail channel: SendGrid v3 mail/send; reconciliation by the conversation id and message
 * key in custom_args. `inboundDomain` is the Inbound Parse domain of our Reply-To addresses
 * (empty: no Reply-To; replies then link by In-Reply-To only).
 */
export const emailChannelFor = (options: { inboundDomain?: string; confirmationWaitMs?: number }): ChannelAdapter<EmailCredentials> => ({
  channel: 'email' as const,

  credentialsSecret: (contextObject) => ({
    name: senderOf(contextObject).email_credentials_id,
    requiredKeys: [...CHANNEL_DESCRIPTORS.email.credentialsKeys] as (keyof EmailCredentials & string)[],
  }),

  // Reconciliation finds the mail by the conversation id it carries (custom_args), not by content.
  contentToSend: ({ ai, reply }) => (reply ? ai.text : textOf((ai.json as { body?: unknown } | undefined)?.body)),

  async send({ contextObject, credentials, ai, conversationId, reply }) {
    const sender = senderOf(contextObject);
    const from = {
      email: credentials.sendgrid_from_email || sender.company_email,
      name: sender.email_from_name ?? credentials.sendgrid_from_name,
    };
    // A first message is the AI's subject and body; an answer is its text, in the person's mail thread.
    const composed = reply ? { subject: reply.subject || 'Re:', body: ai.text } : (ai.json as { subject: string; body: string });
    // Every header built from input is one clean line (the person's subject, their Message-IDs, the AI's subject).
    const content = { subject: headerSafe(composed.subject) || 'Re:', body: composed.body };
    const recipient = contextObject.frontend_payload.recipient_data;
    const emailMessageId = messageIdFor(conversationId, from.email, reply?.message_key);
    const threading = reply
      ? {
          ...(reply.in_reply_to ? { 'In-Reply-To': headerSafe(reply.in_reply_to) } : {}),
          ...(reply.references?.length ? { References: headerSafe(reply.references.join(' ')) } : {}),
        }
      : {};
    try {
      const [response] = await sendGridFor(credentials.sendgrid_api_key).mail.send({
        to: {
          email: recipient.recipient_email!,
          name: [recipient.recipient_first_name, recipient.recipient_last_name].filter(Boolean).join(' ') || undefined,
        },
        from,
        ...(options.inboundDomain ? { replyTo: replyToAddressFor(conversationId, options.inboundDomain) } : {}),
        subject: content.subject,
        text: content.body,
        html: toHtml(content.body),
        customArgs: { conversation_id: conversationId, message_key: reply?.message_key ?? 'initial' },
        headers: { 'Message-ID': emailMessageId, ...threading },
      });
      const messageId = textOf((response.headers as Record<string, unknown>)['x-message-id']);
      if (!messageId) throw permanent(PROVIDER_PERMANENT, 'SendGrid accepted the mail without an X-Message-Id.');
      return { messageId, content: content.body, details: { subject: content.subject, email_message_id: emailMessageId } };
    } catch (error) {
      throw classifySendGridError(error);
    }
  },

  /**
   * Whether SendGrid took a mail an earlier attempt sent without learning the answer, in this order:
   * 1. SendGrid's own event about it (processed, dropped, delivered…), which carries our custom
   *    args; the events webhook wrote it on the message item (`providerSeen`).
   * 2. The Email Activity API, where the account has it, by the custom args every send carries;
   *    its msg_id is the X-Message-Id plus a `.filter…` suffix, and the X-Message-Id is what we
   *    store (events' sg_message_id starts with it).
   * 3. Neither can say yet: wait for the event (AwaitingProvider) until the quiet period after the
   *    newest intent has passed; then nothing came, SendGrid did not take it, and we send.
   * Never a second mail while SendGrid may still hold the first.
   */
  async reconcile({ contextObject, credentials, conversationId, reply, intents, now, providerSeen }) {
    const fromEmail = credentials.sendgrid_from_email || senderOf(contextObject).company_email;
    const details = (subject?: string) => ({
      ...(subject ? { subject } : {}),
      email_message_id: messageIdFor(conversationId, fromEmail, reply?.message_key),
    });
    if (providerSeen)
      return {
        messageId: xMessageIdOf(providerSeen.provider_message_id),
        content: `(confirmed by SendGrid's ${providerSeen.event} event after an interrupted attempt)`,
        details: details(),
      };
    try {
      const response: [unknown, unknown] = await sendGridFor(credentials.sendgrid_api_key).client.request({
        method: 'GET',
        url: '/v3/messages',
        qs: {
          query: `unique_args['conversation_id']="${conversationId}" AND unique_args['message_key']="${reply?.message_key ?? 'initial'}"`,
          limit: 10,
        },
      });
      const body = response[1];
      const found = (body as { messages?: { msg_id: string; subject?: string }[] }).messages?.[0];
      if (found)
        return {
          messageId: xMessageIdOf(found.msg_id),
          content: '(found at SendGrid after an interrupted attempt)',
          details: details(found.subject),
        };
    } catch (error) {
      if (!isNotEntitled(error)) throw classifySendGridError(error);
    }
    // Email Activity lags too, so "not found" is no proof either until the quiet period is over.
    const waitMs = confirmationWaitLeft(intents, now, options.confirmationWaitMs ?? DEFAULT_CONFIRMATION_WAIT_MS);
    if (waitMs > 0)
      throw new AwaitingProvider(
        `An earlier attempt may have sent this mail; waiting for SendGrid's event (up to ${Math.ceil(waitMs / 1000)} s more) before sending again.`,
        waitMs,
      );
    return undefined;
  },

  // The conversation's token (in every Message-ID and Reply-To of it): the inbound-index key a reply is linked by.
  inboundKey: (_contextObject, sent) => {
    const token = sent.details?.email_message_id ? tokensInMessageIds(sent.details.email_message_id)[0] : undefined;
    return token ? emailInboundKey(token) : undefined;
  },
});

/** How much longer to wait after the newest send intent for SendGrid's word. */
export const confirmationWaitLeft = (intents: SendIntent[], now: Date, waitMs: number): number => {
  const newest = Math.max(...intents.map((intent) => Date.parse(intent.at)).filter(Number.isFinite));
  return Number.isFinite(newest) ? Math.max(0, newest + waitMs - now.getTime()) : 0;
};

/** The channel as the deployed sender runs it (INBOUND_EMAIL_DOMAIN and EMAIL_CONFIRMATION_WAIT_SECONDS from serverless.yml). */
export const emailChannel = emailChannelFor({
  inboundDomain: process.env.INBOUND_EMAIL_DOMAIN || undefined,
  confirmationWaitMs: process.env.EMAIL_CONFIRMATION_WAIT_SECONDS ? Number(process.env.EMAIL_CONFIRMATION_WAIT_SECONDS) * 1000 : undefined,
});
