import { createHash } from 'node:crypto';
import { ChannelAdapter, classifySendGridError, ContextObject, permanent, PROVIDER_PERMANENT, sendGridFor } from '@ai-multi-comms/core';

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
 * conversation by it.
 */
export const messageIdFor = (conversationId: string, fromEmail: string) =>
  `<${createHash('sha256').update(conversationId).digest('hex').slice(0, 32)}@${fromEmail.split('@')[1] ?? 'ai-multi-comms.invalid'}>`;

/** The e-mail channel: SendGrid v3 mail/send; reconciliation by the conversation id in custom_args. */
export const emailChannel: ChannelAdapter<EmailCredentials> = {
  channel: 'email',

  credentialsSecret: (contextObject) => ({ name: senderOf(contextObject).email_credentials_id, requiredKeys: ['sendgrid_api_key', 'sendgrid_from_email'] }),

  // Reconciliation finds the mail by the conversation id it carries (custom_args), not by content.
  contentToSend: ({ ai }) => String((ai.json as { body?: unknown } | undefined)?.body ?? ''),

  async send({ contextObject, credentials, ai, conversationId }) {
    const sender = senderOf(contextObject);
    const from = { email: credentials.sendgrid_from_email || sender.company_email, name: sender.email_from_name ?? credentials.sendgrid_from_name };
    const content = ai.json as { subject: string; body: string };
    const recipient = contextObject.frontend_payload.recipient_data;
    const emailMessageId = messageIdFor(conversationId, from.email);
    try {
      const [response] = await sendGridFor(credentials.sendgrid_api_key).mail.send({
        to: { email: recipient.recipient_email!, name: [recipient.recipient_first_name, recipient.recipient_last_name].filter(Boolean).join(' ') || undefined },
        from,
        subject: content.subject,
        text: content.body,
        html: toHtml(content.body),
        customArgs: { conversation_id: conversationId },
        headers: { 'Message-ID': emailMessageId },
      });
      const messageId = String(response.headers['x-message-id'] ?? '');
      if (!messageId) throw permanent(PROVIDER_PERMANENT, 'SendGrid accepted the mail without an X-Message-Id.');
      return { messageId, content: content.body, details: { subject: content.subject, email_message_id: emailMessageId } };
    } catch (error) {
      throw classifySendGridError(error);
    }
  },

  async reconcile({ contextObject, credentials, conversationId }) {
    // The Email Activity API, filtered by the custom argument every send of this conversation carries.
    try {
      const [response, body] = await sendGridFor(credentials.sendgrid_api_key).client.request({
        method: 'GET',
        url: '/v3/messages',
        qs: { query: `unique_args['conversation_id']="${conversationId}"`, limit: 10 },
      });
      const found = (body as { messages?: { msg_id: string; subject?: string }[] }).messages?.[0];
      void response;
      if (!found) return undefined;
      const fromEmail = credentials.sendgrid_from_email || senderOf(contextObject).company_email;
      return { messageId: found.msg_id, content: '(found at SendGrid after an interrupted attempt)', details: { subject: found.subject, email_message_id: messageIdFor(conversationId, fromEmail) } };
    } catch (error) {
      throw classifySendGridError(error);
    }
  },

  inboundKey: (_contextObject, sent) => (sent.details?.email_message_id ? `email#${sent.details.email_message_id}` : undefined),
};
