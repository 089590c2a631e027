import { EventWebhook } from '@sendgrid/eventwebhook';
import { AppError, validationError } from '../errors/app-error';
import { ErrorCodes } from '../errors/error-codes';
import { OptOutStore } from '../opt-outs/opt-out-store';
import { ConversationFinder } from '../replies/conversation-finder';
import { ACCEPTED_JSON, WebhookResponse } from '../replies/webhook-response';
import { readWebhookSecret } from '../replies/webhook-secret';
import { SecretReader } from '../secrets/secret-reader';
import { deliveryEventsExpireAt, recordDeliveryEvent, RecordDeliveryDeps } from './record-delivery-event';
import { SENDGRID_OPT_OUT_EVENTS, sendGridDeliveryStatus } from './statuses';

export const SENDGRID_EVENTS_PATH = '/webhooks/sendgrid/events';

export interface SendGridEventsDeps extends RecordDeliveryDeps {
  secrets: SecretReader;
  /** To find the project whose public key signs the batch (by the conversation id our sends carry in custom_args). */
  conversations: Pick<ConversationFinder, 'byConversationId'>;
  optOuts: Pick<OptOutStore, 'record'>;
}

export interface SendGridEventsRequest {
  rawBody: string | null;
  isBase64Encoded: boolean;
  signature: string | undefined;
  timestamp: string | undefined;
}

interface SendGridEvent {
  event?: unknown;
  email?: unknown;
  timestamp?: unknown;
  sg_event_id?: unknown;
  sg_message_id?: unknown;
  conversation_id?: unknown;
  reason?: unknown;
  status?: unknown;
  type?: unknown;
}

const forged = () => new AppError('forbidden', ErrorCodes.WEBHOOK_SIGNATURE_INVALID, 'The request is not signed with the Event Webhook key of this account.');
const verifier = new EventWebhook();

/**
 * POST /webhooks/sendgrid/events (docs/api.md "Webhooks"): SendGrid's Signed Event Webhook, a JSON
 * array of events. The batch names our conversation in its custom_args; that conversation's
 * project keeps the account's verification key beside its SendGrid credentials
 * (`sendgrid_webhook_public_key`). The ECDSA P-256 signature over timestamp + raw body is checked
 * with `@sendgrid/eventwebhook` before any event is taken in. Each event is then stored once (by
 * sg_event_id) and moves its message's status forward; an unsubscribe, group unsubscribe or spam
 * report records an e-mail opt-out.
 */
export const receiveSendGridEvents = async (request: SendGridEventsRequest, deps: SendGridEventsDeps): Promise<WebhookResponse> => {
  if (!request.signature || !request.timestamp) throw forged();
  const raw = request.isBase64Encoded ? Buffer.from(request.rawBody ?? '', 'base64').toString('utf8') : (request.rawBody ?? '');
  let events: SendGridEvent[];
  try {
    const parsed = JSON.parse(raw) as unknown;
    if (!Array.isArray(parsed)) throw new Error('not an array');
    events = parsed.filter((e): e is SendGridEvent => typeof e === 'object' && e !== null);
  } catch {
    throw forged(); // not SendGrid's: refuse without saying more
  }
  // The key that signs: the project of the first conversation the batch names (one SendGrid account signs the whole batch).
  const conversationId = events.map((e) => e.conversation_id).find((id): id is string => typeof id === 'string' && id.length > 0 && id.length < 1024);
  const conversation = conversationId ? await deps.conversations.byConversationId(conversationId) : undefined;
  const secretName = (conversation?.channel_config as { email?: { email_credentials_id?: string } } | undefined)?.email?.email_credentials_id;
  if (!conversation || !secretName) throw forged();
  const verify = async () => {
    const { sendgrid_webhook_public_key: key } = await readWebhookSecret<{ sendgrid_webhook_public_key: string }>(deps.secrets, secretName, ['sendgrid_webhook_public_key'], deps.logger, forged);
    try {
      return verifier.verifySignature(verifier.convertPublicKeyToECDSA(key), raw, request.signature!, request.timestamp!);
    } catch {
      return false;
    }
  };
  if (!(await verify())) {
    deps.secrets.evict(secretName);
    if (!(await verify())) throw forged();
  }

  // Verified: every event of the batch is SendGrid's.
  if (events.length > 1000) throw validationError(ErrorCodes.WEBHOOK_BODY_INVALID, 'Too many events in one batch.');
  const expiresAt = await deliveryEventsExpireAt(String(conversation.company_id), String(conversation.project_id), deps);
  for (const event of events) {
    const name = typeof event.event === 'string' ? event.event : '';
    const eventId = typeof event.sg_event_id === 'string' ? event.sg_event_id : '';
    // sg_message_id is the X-Message-Id we stored, followed by ".filter…" routing suffixes.
    const providerMessageId = typeof event.sg_message_id === 'string' ? event.sg_message_id.split('.')[0]! : '';
    const at = typeof event.timestamp === 'number' ? new Date(event.timestamp * 1000).toISOString() : deps.clock.now().toISOString();
    if (!name || !eventId || !providerMessageId || providerMessageId.length > 200 || eventId.length > 200) continue;
    const status = sendGridDeliveryStatus(name);
    const reason = typeof event.reason === 'string' ? event.reason.slice(0, 500) : undefined;
    const code = typeof event.status === 'string' ? event.status.slice(0, 20) : typeof event.type === 'string' ? event.type.slice(0, 20) : undefined;
    await recordDeliveryEvent(
      {
        providerMessageId,
        eventId,
        channel: 'email',
        provider: 'sendgrid',
        providerEvent: name,
        ...(status ? { status } : {}),
        ...(status === 'bounce' || status === 'dropped' ? { errorCode: code ?? name, ...(reason ? { errorMessage: reason } : {}) } : {}),
        at,
        expiresAt,
      },
      deps,
    );
    if (SENDGRID_OPT_OUT_EVENTS.includes(name) && typeof event.email === 'string') {
      await deps.optOuts.record({ company_id: String(conversation.company_id), channel: 'email', address: event.email, opted_out: true, source: `sendgrid:${name}`, event_at: at }, deps.clock.now());
      deps.metrics.count('OptOutsRecorded');
    }
  }
  return ACCEPTED_JSON;
};
