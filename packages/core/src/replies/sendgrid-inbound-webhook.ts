import { textOf } from '../util/text-of';
import { createHash, timingSafeEqual } from 'node:crypto';
import { emailInboundKey, tokensInMessageIds, tokensInRecipients } from '../channels/email-threading';
import { AppError, validationError } from '../errors/app-error';
import { ErrorCodes } from '../errors/error-codes';
import { SecretReader } from '../secrets/secret-reader';
import { readWebhookSecret } from './webhook-secret';
import { acceptInbound, AcceptInboundDeps, Link } from './accept-inbound';
import { ConversationFinder } from './conversation-finder';
import { addressesInFrom, automaticMailReason, senderUnverified } from './automatic-mail';
import { addressIn, headerValue, newTextOfReply } from './email-reply-text';
import { decodeInboundParseFields } from './inbound-parse-charsets';
import { intentOf } from './keywords';
import { multipartFields } from './multipart-form';
import { INBOUND_RETENTION_SECONDS, InboundMessage } from './types';
import { ACCEPTED_JSON, WebhookResponse } from './webhook-response';

export const SENDGRID_INBOUND_PATH = '/webhooks/sendgrid/inbound';

export interface SendGridInboundDeps extends AcceptInboundDeps {
  secrets: SecretReader;
  conversations: ConversationFinder;
  /** The secret holding the Basic credentials configured in the Inbound Parse URL ({username, password}). */
  parseCredentialsSecret: string;
}

export interface SendGridInboundRequest {
  rawBody: string | null;
  isBase64Encoded: boolean;
  contentType: string | undefined;
  authorization: string | undefined;
}

/** Inbound Parse posts at most 30 MB; the text parts we read are far smaller, and API Gateway caps bodies at 10 MB. */
const MAX_TEXT = 20_000;

const unauthenticated = () =>
  new AppError('forbidden', ErrorCodes.WEBHOOK_UNAUTHENTICATED, 'The request does not carry the Inbound Parse credentials.');

const sameSecret = (given: string, expected: string) => {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
};

const verifyBasic = async (authorization: string | undefined, deps: SendGridInboundDeps) => {
  const match = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(authorization ?? '');
  if (!match) throw unauthenticated();
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) throw unauthenticated();
  const check = async () => {
    const expected = await readWebhookSecret<{ username: string; password: string }>(
      deps.secrets,
      deps.parseCredentialsSecret,
      ['username', 'password'],
      deps.logger,
      unauthenticated,
    );
    return sameSecret(decoded.slice(0, colon), expected.username) && sameSecret(decoded.slice(colon + 1), expected.password);
  };
  if (await check()) return;
  deps.secrets.evict(deps.parseCredentialsSecret);
  if (!(await check())) throw unauthenticated();
};

/**
 * The multipart form's text fields, read as bytes (multipart-form.ts) and decoded in the charset
 * its `charsets` field names for each (inbound-parse-charsets.ts; UTF-8 when it names none).
 */
const fieldsOf = (request: SendGridInboundRequest, deps: SendGridInboundDeps): Map<string, string> => {
  if (!request.contentType?.toLowerCase().startsWith('multipart/form-data'))
    throw validationError(ErrorCodes.WEBHOOK_BODY_INVALID, 'Inbound Parse posts multipart/form-data.');
  const body = Buffer.from(request.rawBody ?? '', request.isBase64Encoded ? 'base64' : 'utf8');
  const parts = multipartFields(body, request.contentType);
  if (!parts) throw validationError(ErrorCodes.WEBHOOK_BODY_INVALID, 'The multipart body could not be read.');
  return decodeInboundParseFields(parts, deps.logger, MAX_TEXT);
};

/**
 * POST /webhooks/sendgrid/inbound (docs/api.md "Webhooks"): SendGrid Inbound Parse, a reply by
 * e-mail. SendGrid does not sign Parse posts; the URL carries HTTP Basic credentials, checked
 * against Secrets Manager before the body is read. Each text field is decoded in the mail's own
 * charset, as the post's `charsets` field names it. Linked by our Reply-To token, then
 * In-Reply-To / References, and only to a conversation with that very person.
 */
export const receiveInboundEmail = async (request: SendGridInboundRequest, deps: SendGridInboundDeps): Promise<WebhookResponse> => {
  await verifyBasic(request.authorization, deps);
  const fields = fieldsOf(request, deps);
  const rawHeaders = fields.get('headers') ?? '';
  let envelope: { to?: unknown; from?: unknown } = {};
  try {
    envelope = JSON.parse(fields.get('envelope') ?? '{}') as typeof envelope;
  } catch {
    envelope = {};
  }
  // One author or none: a From naming several people cannot continue anyone's conversation.
  const authors = addressesInFrom(fields.get('from') ?? '');
  const from =
    authors.length === 1 ? authors[0] : authors.length === 0 && typeof envelope.from === 'string' ? addressIn(envelope.from) : undefined;
  if (authors.length > 1)
    deps.logger.warn('Inbound e-mail names several authors in From: stored, linked to no conversation', { authors: authors.length });
  if (!from && authors.length <= 1) throw validationError(ErrorCodes.WEBHOOK_BODY_INVALID, 'The e-mail has no sender address.');
  const recipients = [
    fields.get('to') ?? '',
    ...(Array.isArray(envelope.to) ? envelope.to.filter((v): v is string => typeof v === 'string') : []),
  ].join(', ');
  const messageId = headerValue(rawHeaders, 'Message-ID');
  const references = [headerValue(rawHeaders, 'In-Reply-To') ?? '', headerValue(rawHeaders, 'References') ?? ''].join(' ');
  const now = deps.clock.now();
  const text = newTextOfReply(fields.get('text') ?? '').slice(0, 4096);
  // The provider's id for the mail: its Message-ID, or (none given) the body itself.
  const identity = createHash('sha256')
    .update(messageId ?? `${fields.get('from') ?? ''}\n${recipients}\n${fields.get('subject') ?? ''}\n${text}`)
    .digest('hex')
    .slice(0, 40);
  const automatic = from ? automaticMailReason(rawHeaders, from) : undefined;
  const message: InboundMessage = {
    inbound_id: `sendgrid#${identity}`,
    provider: 'sendgrid',
    channel: 'email',
    from_address: from ?? authors.join(', ').slice(0, 320),
    to_address: addressIn(recipients) ?? '',
    text,
    intent: automatic ? 'automatic' : intentOf(text.split('\n')[0] ?? ''),
    ...(automatic ? { automatic_reason: automatic } : {}),
    ...(senderUnverified(fields.get('SPF'), fields.get('dkim')) ? { sender_unverified: true } : {}),
    subject: (fields.get('subject') ?? '').slice(0, 998),
    ...(messageId ? { email_message_id: messageId.slice(0, 998) } : {}),
    email_references: [...references.matchAll(/<[^<>\s]+>/g)].map((m) => m[0]).slice(-20),
    inbound_status: 'received',
    received_at: now.toISOString(),
    updated_at: now.toISOString(),
    expires_at: Math.floor(now.getTime() / 1000) + INBOUND_RETENTION_SECONDS,
  };

  const find = async (): Promise<Link | undefined> => {
    if (!from) return undefined;
    const candidates: [string, Link['linkedBy']][] = [
      ...tokensInRecipients(recipients).map((token) => [token, 'reply_to_token'] as [string, Link['linkedBy']]),
      ...tokensInMessageIds(references).map((token) => [token, 'in_reply_to'] as [string, Link['linkedBy']]),
    ];
    for (const [token, linkedBy] of candidates) {
      const conversation = await deps.conversations.byInboundKey(emailInboundKey(token));
      // Only the person we wrote to may continue the conversation (a forwarded mail or a guessed token is an orphan).
      if (conversation && textOf(conversation.recipient_email).toLowerCase() === from) return { conversation, linkedBy };
    }
    return undefined;
  };
  await acceptInbound(message, find, undefined, deps);
  return ACCEPTED_JSON;
};
