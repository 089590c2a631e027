import { EventWebhook } from '@sendgrid/eventwebhook';
import { AppError, validationError } from '../errors/app-error';
import { ErrorCodes } from '../errors/error-codes';
import { ProviderSightings } from '../messages/provider-sightings';
import { OptOutStore } from '../opt-outs/opt-out-store';
import { ConversationFinder } from '../replies/conversation-finder';
import { ACCEPTED_JSON, WebhookResponse } from '../replies/webhook-response';
import { readWebhookSecret } from '../replies/webhook-secret';
import { SecretReader } from '../secrets/secret-reader';
import { eachLimited } from '../util/each-limited';
import { deliveryEventsExpireAt, recordDeliveryEvent, RecordDeliveryDeps } from './record-delivery-event';
import { SENDGRID_OPT_OUT_EVENTS, sendGridDeliveryStatus } from './statuses';

/** The deprecated account-wide path (the project was found from the batch's custom_args). */
export const SENDGRID_EVENTS_PATH = '/webhooks/sendgrid/events';

/** The Event Webhook URL's path for one project (after WEBHOOK_BASE_URL): paste it into that SendGrid account's Event Webhook settings. */
export const sendGridEventsPathFor = (companyId: string, projectId: string): string =>
  `${SENDGRID_EVENTS_PATH}/${encodeURIComponent(companyId)}/${encodeURIComponent(projectId)}`;

export interface SendGridEventsDeps extends RecordDeliveryDeps {
  secrets: SecretReader;
  /** A conversation an event names (custom_args): it must be the URL's project's. */
  conversations: Pick<ConversationFinder, 'byConversationId'>;
  optOuts: Pick<OptOutStore, 'record'>;
  /** SendGrid's word that it took one of our mails, on the message item (reconciliation without Email Activity). */
  sightings: ProviderSightings;
}

export interface SendGridEventsRequest {
  rawBody: string | null;
  isBase64Encoded: boolean;
  signature: string | undefined;
  timestamp: string | undefined;
  /** The project the URL names (POST /webhooks/sendgrid/events/{company_id}/{project_id}); absent on the deprecated path. */
  project?: { companyId: string; projectId: string };
}

interface SendGridEvent {
  event?: unknown;
  email?: unknown;
  timestamp?: unknown;
  sg_event_id?: unknown;
  sg_message_id?: unknown;
  conversation_id?: unknown;
  message_key?: unknown;
  reason?: unknown;
  status?: unknown;
  type?: unknown;
}

/** Events of one batch taken at once: each is 2–4 small DynamoDB calls, so 16 keep one function's connections busy without throttling. */
const EVENTS_IN_PARALLEL = 16;

const forged = () =>
  new AppError('forbidden', ErrorCodes.WEBHOOK_SIGNATURE_INVALID, 'The request is not signed with the Event Webhook key of this account.');
const verifier = new EventWebhook();
const text = (value: unknown, max: number): string | undefined =>
  typeof value === 'string' && value.length > 0 && value.length <= max ? value : undefined;

/** The project whose SendGrid account signs, and the secret holding its Event Webhook verification key. */
interface SigningProject {
  companyId: string;
  projectId: string;
  secretName: string;
}

/**
 * POST /webhooks/sendgrid/events/{company_id}/{project_id} (docs/api.md "Webhooks"): SendGrid's
 * Signed Event Webhook, a JSON array of events. The URL names the project, since the signing key
 * belongs to the SendGrid account's webhook, not to a mail: its e-mail secret holds the key
 * (`sendgrid_webhook_public_key`). The ECDSA P-256 signature over timestamp + raw body is checked
 * with `@sendgrid/eventwebhook` before anything of the body is read. Every verified batch is
 * acknowledged: SendGrid retries a refused batch and then drops it, bounces and unsubscribes with
 * it. Each event with a message id is stored once (by sg_event_id) and moves that message's status
 * forward, whether or not it carries our custom_args (SendGrid's own samples, other mail of the
 * account); an event naming our conversation also records the sighting on the message item, if
 * that conversation is the project's; account events (no message id) are counted. An unsubscribe,
 * group unsubscribe or spam report records an e-mail opt-out for the project's company.
 *
 * The deprecated path (POST /webhooks/sendgrid/events, no project) still finds the project from
 * the first event's conversation_id, as before; a batch without one is refused there (403), so
 * each project should move to its own URL (`pnpm onboard` prints it).
 */
export const receiveSendGridEvents = async (request: SendGridEventsRequest, deps: SendGridEventsDeps): Promise<WebhookResponse> => {
  if (!request.signature || !request.timestamp) throw forged();
  const raw = request.isBase64Encoded ? Buffer.from(request.rawBody ?? '', 'base64').toString('utf8') : (request.rawBody ?? '');
  const signer = request.project ? await projectNamed(request.project, deps) : await projectOfFirstConversation(raw, deps);
  if (!signer) throw forged();

  const verify = async () => {
    const { sendgrid_webhook_public_key: key } = await readWebhookSecret<{ sendgrid_webhook_public_key: string }>(
      deps.secrets,
      signer.secretName,
      ['sendgrid_webhook_public_key'],
      deps.logger,
      forged,
    );
    try {
      return verifier.verifySignature(verifier.convertPublicKeyToECDSA(key), raw, request.signature!, request.timestamp!);
    } catch {
      return false;
    }
  };
  if (!(await verify())) {
    deps.secrets.evict(signer.secretName);
    if (!(await verify())) throw forged();
  }

  // Verified: the batch is SendGrid's.
  let events: SendGridEvent[];
  try {
    const parsed = JSON.parse(raw) as unknown;
    if (!Array.isArray(parsed)) throw new Error('not an array');
    events = parsed.filter((e): e is SendGridEvent => typeof e === 'object' && e !== null && !Array.isArray(e));
  } catch {
    throw validationError(ErrorCodes.WEBHOOK_BODY_INVALID, 'The Event Webhook body is not a JSON array of events.');
  }
  if (!request.project)
    deps.logger.warn("SendGrid events on the deprecated account-wide path; set this project's Event Webhook URL to its own path", {
      company_id: signer.companyId,
      project_id: signer.projectId,
    });

  const expiresAt = await deliveryEventsExpireAt(signer.companyId, signer.projectId, deps);
  const ownConversation = conversationCheck(signer, deps);
  // Every event SendGrid sends is taken, however many (a refused batch is retried, then dropped
  // with its bounces and unsubscribes), several at a time to finish within the function's time.
  await eachLimited(events, EVENTS_IN_PARALLEL, (event) => takeEvent(event, signer, expiresAt, ownConversation, deps));
  return ACCEPTED_JSON;
};

const projectNamed = async (
  project: { companyId: string; projectId: string },
  deps: SendGridEventsDeps,
): Promise<SigningProject | undefined> => {
  const item = await deps.projects.get(project.companyId, project.projectId);
  const secretName = (item?.channel_config as { email?: { email_credentials_id?: string } } | undefined)?.email?.email_credentials_id;
  return secretName ? { ...project, secretName } : undefined;
};

/** The deprecated path: the project of the first conversation the (not yet verified) batch names. */
const projectOfFirstConversation = async (raw: string, deps: SendGridEventsDeps): Promise<SigningProject | undefined> => {
  let conversationId: string | undefined;
  try {
    const parsed = JSON.parse(raw) as unknown;
    if (Array.isArray(parsed)) conversationId = parsed.map((e) => text((e as SendGridEvent | null)?.conversation_id, 1023)).find(Boolean);
  } catch {
    return undefined;
  }
  const conversation = conversationId ? await deps.conversations.byConversationId(conversationId) : undefined;
  const secretName = (conversation?.channel_config as { email?: { email_credentials_id?: string } } | undefined)?.email
    ?.email_credentials_id;
  return conversation && secretName
    ? { companyId: String(conversation.company_id), projectId: String(conversation.project_id), secretName }
    : undefined;
};

/** Whether a conversation an event names is the signing project's (looked up once per batch). */
const conversationCheck = (signer: SigningProject, deps: SendGridEventsDeps) => {
  const seen = new Map<string, Promise<boolean>>();
  return (conversationId: string): Promise<boolean> => {
    let found = seen.get(conversationId);
    if (!found) {
      found = deps.conversations
        .byConversationId(conversationId)
        .then((c) => c !== undefined && c.company_id === signer.companyId && c.project_id === signer.projectId);
      seen.set(conversationId, found);
    }
    return found;
  };
};

/** The event as the delivery-events table records it: a bounce or a drop carries its code and reason. */
const deliveryEventOf = (
  event: SendGridEvent,
  known: { name: string; eventId: string; providerMessageId: string; at: string; expiresAt: number },
) => {
  const status = sendGridDeliveryStatus(known.name);
  const reason = typeof event.reason === 'string' ? event.reason.slice(0, 500) : undefined;
  const code =
    typeof event.status === 'string' ? event.status.slice(0, 20) : typeof event.type === 'string' ? event.type.slice(0, 20) : undefined;
  return {
    providerMessageId: known.providerMessageId,
    eventId: known.eventId,
    channel: 'email' as const,
    provider: 'sendgrid' as const,
    providerEvent: known.name,
    ...(status ? { status } : {}),
    ...(status === 'bounce' || status === 'dropped' ? { errorCode: code ?? known.name, ...(reason ? { errorMessage: reason } : {}) } : {}),
    at: known.at,
    expiresAt: known.expiresAt,
  };
};

const takeEvent = async (
  event: SendGridEvent,
  signer: SigningProject,
  expiresAt: number,
  ownConversation: (id: string) => Promise<boolean>,
  deps: SendGridEventsDeps,
) => {
  const name = text(event.event, 64) ?? '';
  const eventId = text(event.sg_event_id, 200);
  // sg_message_id is the X-Message-Id we stored, followed by ".filter…" routing suffixes.
  const providerMessageId = text(event.sg_message_id, 400)?.split('.')[0];
  const at =
    typeof event.timestamp === 'number' && Number.isFinite(event.timestamp)
      ? new Date(event.timestamp * 1000).toISOString()
      : deps.clock.now().toISOString();
  if (!name || !eventId || !providerMessageId || providerMessageId.length > 200) {
    // An account event (account_status_change) or one without a message: nothing of a message to record.
    deps.metrics.count('SendGridEventsWithoutMessage');
    deps.logger.info('SendGrid event without a message id', { event: name.slice(0, 64), type: text(event.type, 64) });
    return;
  }
  const conversationId = text(event.conversation_id, 1023);
  const messageKey = text(event.message_key, 200);
  if (conversationId && !(await ownConversation(conversationId))) {
    // Signed by this project's account, yet naming a conversation that is not the project's: take nothing from it.
    deps.metrics.count('SendGridEventsForeignConversation');
    deps.logger.warn('SendGrid event names a conversation of another project; ignored', {
      event: name,
      company_id: signer.companyId,
      project_id: signer.projectId,
    });
    return;
  }
  const recorded = await recordDeliveryEvent(deliveryEventOf(event, { name, eventId, providerMessageId, at, expiresAt }), signer, deps);
  if (recorded === 'foreign') return;
  if (conversationId && messageKey) {
    // SendGrid has this mail: a sender that lost the answer to its send learns it here.
    await deps.sightings.record(
      { conversation_id: conversationId, message_key: messageKey },
      { provider_message_id: providerMessageId, event: name, at },
    );
  }
  if (SENDGRID_OPT_OUT_EVENTS.includes(name) && typeof event.email === 'string') {
    await deps.optOuts.record(
      { company_id: signer.companyId, channel: 'email', address: event.email, opted_out: true, source: `sendgrid:${name}`, event_at: at },
      deps.clock.now(),
    );
    deps.metrics.count('OptOutsRecorded');
  }
};
