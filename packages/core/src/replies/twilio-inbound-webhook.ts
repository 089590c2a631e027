import { twilioAddressOf } from '../channels';
import { validationError } from '../errors/app-error';
import { ErrorCodes } from '../errors/error-codes';
import { acceptInbound, AcceptInboundDeps, Link } from './accept-inbound';
import { ConversationFinder } from './conversation-finder';
import { intentOf } from './keywords';
import { INBOUND_RETENTION_SECONDS, InboundMessage } from './types';
import { TwilioCall, TwilioCallDeps, verifyTwilioCall } from './verify-twilio-call';
import { EMPTY_TWIML, WebhookResponse } from './webhook-response';

/** The path Twilio is configured with for inbound messages, after WEBHOOK_BASE_URL. */
export const TWILIO_MESSAGES_PATH = '/webhooks/twilio/messages';

export interface TwilioWebhookDeps extends AcceptInboundDeps, TwilioCallDeps {
  conversations: ConversationFinder;
}

export type TwilioWebhookRequest = TwilioCall;

const E164 = /^\+[1-9][0-9]{6,14}$/;

/**
 * POST /webhooks/twilio/messages (docs/api.md "Webhooks"): an inbound WhatsApp or SMS message.
 * Nothing of the call is trusted, stored or acted on before its `X-Twilio-Signature` verifies with
 * the auth token of the account that owns the `To` number, against the configured public URL.
 * Then it only stores, links and enqueues (Twilio waits 15 s at most) and answers empty TwiML.
 */
export const receiveTwilioMessage = async (request: TwilioWebhookRequest, deps: TwilioWebhookDeps): Promise<WebhookResponse> => {
  const { form, channel, companyNumber, sender } = await verifyTwilioCall(request, { path: TWILIO_MESSAGES_PATH, ourNumber: 'To' }, deps);

  // Verified: from here the parameters are Twilio's.
  const messageSid = form.MessageSid ?? form.SmsMessageSid ?? '';
  const from = twilioAddressOf(form.From ?? '').number;
  if (!/^(SM|MM)[0-9a-fA-F]{32}$/.test(messageSid) || !E164.test(from))
    throw validationError(ErrorCodes.WEBHOOK_BODY_INVALID, 'The message has no valid MessageSid or From.');
  const now = deps.clock.now();
  const text = (form.Body ?? '').slice(0, 4096);
  const message: InboundMessage = {
    inbound_id: `twilio#${messageSid}`,
    provider: 'twilio',
    channel,
    from_address: from,
    to_address: companyNumber,
    text,
    intent: intentOf(text, form.OptOutType),
    inbound_status: 'received',
    received_at: now.toISOString(),
    updated_at: now.toISOString(),
    expires_at: Math.floor(now.getTime() / 1000) + INBOUND_RETENTION_SECONDS,
  };

  const find = async (): Promise<Link | undefined> => {
    const ours = (conversation: Link['conversation'] | undefined) =>
      conversation &&
      conversation.company_id === sender.company_id &&
      conversation.channel_method === channel &&
      conversation.primary_channel === from
        ? conversation
        : undefined;
    const replied = form.OriginalRepliedMessageSid
      ? ours(await deps.conversations.byProviderMessageId(form.OriginalRepliedMessageSid))
      : undefined;
    if (replied) return { conversation: replied, linkedBy: 'replied_message' };
    const recent = ours(await deps.conversations.byInboundKey(`${channel}#${companyNumber}#${from}`));
    return recent ? { conversation: recent, linkedBy: 'most_recent' } : undefined;
  };
  await acceptInbound(message, find, sender.company_id, deps);
  return EMPTY_TWIML;
};
