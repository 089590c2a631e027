import twilio from 'twilio';
import { AppError, validationError } from '../errors/app-error';
import { ErrorCodes } from '../errors/error-codes';
import { Channel } from '../request/types';
import { SecretReader } from '../secrets/secret-reader';
import { acceptInbound, AcceptInboundDeps, Link } from './accept-inbound';
import { ConversationFinder } from './conversation-finder';
import { intentOf } from './keywords';
import { SenderDirectory, senderAddressKey } from './sender-directory';
import { INBOUND_RETENTION_SECONDS, InboundMessage } from './types';
import { EMPTY_TWIML, WebhookResponse } from './webhook-response';

/** The path Twilio is configured with for inbound messages, after WEBHOOK_BASE_URL. */
export const TWILIO_MESSAGES_PATH = '/webhooks/twilio/messages';

export interface TwilioWebhookDeps extends AcceptInboundDeps {
  directory: SenderDirectory;
  secrets: SecretReader;
  conversations: ConversationFinder;
  /** The public base URL Twilio calls (WEBHOOK_BASE_URL): the signature covers it, so it is configuration, never rebuilt from the request. */
  webhookBaseUrl: string;
}

export interface TwilioWebhookRequest {
  rawBody: string | null;
  isBase64Encoded: boolean;
  contentType: string | undefined;
  signature: string | undefined;
}

const forged = () => new AppError('forbidden', ErrorCodes.WEBHOOK_SIGNATURE_INVALID, 'The request is not signed by Twilio for this number.');

/** The form parameters, as Twilio signs them (a repeated name keeps its last value: such a call is not Twilio's and fails the check). */
const formOf = (request: TwilioWebhookRequest): Record<string, string> => {
  if (!request.contentType?.toLowerCase().startsWith('application/x-www-form-urlencoded')) throw forged();
  const raw = request.rawBody ?? '';
  const text = request.isBase64Encoded ? Buffer.from(raw, 'base64').toString('utf8') : raw;
  return Object.fromEntries(new URLSearchParams(text));
};

const E164 = /^\+[1-9][0-9]{6,14}$/;

/**
 * POST /webhooks/twilio/messages (docs/api.md "Webhooks"): an inbound WhatsApp or SMS message.
 * Nothing of the call is trusted, stored or acted on before its `X-Twilio-Signature` verifies with
 * the auth token of the account that owns the `To` number, against the configured public URL.
 * Then it only stores, links and enqueues (Twilio waits 15 s at most) and answers empty TwiML.
 */
export const receiveTwilioMessage = async (request: TwilioWebhookRequest, deps: TwilioWebhookDeps): Promise<WebhookResponse> => {
  if (!request.signature) throw forged();
  const form = formOf(request);
  const to = form.To ?? '';
  const channel: Channel = to.startsWith('whatsapp:') ? 'whatsapp' : 'sms';
  const companyNumber = to.replace(/^whatsapp:/, '');
  if (!E164.test(companyNumber)) throw forged();
  const sender = await deps.directory.find(senderAddressKey(channel, companyNumber));
  if (!sender) throw forged();

  // Verify: the account's auth token from Secrets Manager; a token rotated since it was cached is read again once.
  const url = `${deps.webhookBaseUrl.replace(/\/+$/, '')}${TWILIO_MESSAGES_PATH}`;
  const verify = async () => {
    const credentials = await deps.secrets.getJson<{ twilio_account_sid: string; twilio_auth_token: string }>(sender.credentials_id, ['twilio_account_sid', 'twilio_auth_token']);
    return credentials.twilio_account_sid === form.AccountSid && twilio.validateRequest(credentials.twilio_auth_token, request.signature!, url, form);
  };
  if (!(await verify())) {
    deps.secrets.evict(sender.credentials_id);
    if (!(await verify())) throw forged();
  }

  // Verified: from here the parameters are Twilio's.
  const messageSid = form.MessageSid ?? form.SmsMessageSid ?? '';
  const from = (form.From ?? '').replace(/^whatsapp:/, '');
  if (!/^(SM|MM)[0-9a-fA-F]{32}$/.test(messageSid) || !E164.test(from)) throw validationError(ErrorCodes.WEBHOOK_BODY_INVALID, 'The message has no valid MessageSid or From.');
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
      conversation && conversation.company_id === sender.company_id && conversation.channel_method === channel && conversation.primary_channel === from ? conversation : undefined;
    const replied = form.OriginalRepliedMessageSid ? ours(await deps.conversations.byProviderMessageId(form.OriginalRepliedMessageSid)) : undefined;
    if (replied) return { conversation: replied, linkedBy: 'replied_message' };
    const recent = ours(await deps.conversations.byInboundKey(`${channel}#${companyNumber}#${from}`));
    return recent ? { conversation: recent, linkedBy: 'most_recent' } : undefined;
  };
  await acceptInbound(message, find, sender.company_id, deps);
  return EMPTY_TWIML;
};
