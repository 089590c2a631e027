import type { Logger } from '@aws-lambda-powertools/logger';
import {
  addressProblems,
  BeginOutcome,
  buildContextObject,
  ChannelConversation,
  canonicalJson,
  Clock,
  CompanyRepository,
  ErrorCodes,
  forbidden,
  OptOutStore,
  idempotencyKey,
  IdempotencyStore,
  parseJsonBody,
  RateLimiter,
  registerSecretValue,
  requestRefusal,
  sha256Hex,
  validateInitiateRequest,
} from '@ai-multi-comms/core';
import { authorise } from './authorise';
import { ContextObjectQueue } from './ports/context-object-queue';

/** What the use case needs from the world; tests pass emulator-backed or fake implementations. */
export interface InitiateConversationDeps {
  companies: CompanyRepository;
  idempotency: IdempotencyStore;
  rateLimiter: RateLimiter;
  optOuts: Pick<OptOutStore, 'optedOutChannels'>;
  queue: ContextObjectQueue;
  clock: Clock;
  routerVersion: string;
  logger: Pick<Logger, 'info' | 'warn' | 'error'>;
}

export interface InitiateConversationInput {
  rawBody: string | null | undefined;
  isBase64Encoded?: boolean;
  /** The Content-Type header: a declared charset other than UTF-8 is refused. */
  contentType?: string;
  /** The x-api-key header; API Gateway has already checked that it exists and is in a usage plan. */
  apiKey: string | undefined;
  traceId: string;
}

export interface InitiateConversationResult {
  status: 'success';
  request_id: string;
  /** The first channel's conversation: what single-channel clients read. */
  conversation_id: string;
  /** One per channel, in request order. */
  conversations: ChannelConversation[];
  message: string;
  queue_timestamp: string;
  /** True when this is a repeat of a request already accepted (nothing new was queued). */
  replayed: boolean;
}

const ACCEPTED_MESSAGE = 'Request accepted and queued for processing';

/**
 * POST /initiate-conversation as a plain function. Order matters:
 * body rules (cheap, no I/O) → company lookup (cached) beside the opt-outs → authorisation (key
 * binding, project rules) → the Context Object → opt-outs, idempotency and rate limit in one round
 * trip → enqueue → record the outcome. At most three sequential round trips on a warm container
 * (`pnpm bench` counts them). A request refused, or failing before it is queued, leaves nothing
 * behind: its idempotency record is released and its count given back, so that the client's
 * retry of the same request runs afresh.
 */
export const initiateConversation = async (
  input: InitiateConversationInput,
  deps: InitiateConversationDeps,
): Promise<InitiateConversationResult> => {
  const receivedAt = deps.clock.now();
  const request = validateInitiateRequest(parseJsonBody(input.rawBody, input.isBase64Encoded, input.contentType));
  const { company_id, project_id } = request.company_data;
  const { request_id } = request.request_data;

  if (request.recipient_data.comms_consent !== true) {
    throw forbidden(ErrorCodes.COMMS_CONSENT_REQUIRED, 'The recipient has not consented to be contacted (comms_consent is false); nothing was sent.');
  }

  // The opt-outs are read beside the project (one round trip for both); what they say is only
  // acted on, and so only revealed, once the key is known to be this project's.
  const named = request.request_data.channel_method === 'all' ? undefined : request.request_data.channel_method;
  const optOutsRead = named ? deps.optOuts.optedOutChannels(company_id, request.recipient_data, named) : undefined;
  optOutsRead?.catch(() => undefined); // awaited below; a refusal before then must not leave it unhandled
  const { company, channels } = authorise(await deps.companies.get(company_id, project_id), input.apiKey ? sha256Hex(input.apiKey) : undefined, request.request_data.channel_method);
  // Only now is the key known to be one of ours: from here no log line may print it. (An
  // unauthenticated value is never registered, so a stranger cannot fill the redactor's set.)
  registerSecretValue(input.apiKey);
  if (request.request_data.channel_method === 'all') {
    // Named channels had their addresses checked with the body; "all" only now has channels.
    const missing = addressProblems(request.recipient_data, channels);
    if (missing.length > 0) throw requestRefusal(missing);
  }
  const resolved = { ...request, request_data: { ...request.request_data, channel_method: channels } };

  // Built before any state is written: a configuration fault must not leave a record behind.
  const contextObject = buildContextObject({ request: resolved, company, receivedAt, routerVersion: deps.routerVersion, traceId: input.traceId });
  const conversations = contextObject.conversation_data.conversations;
  const conversationId = conversations[0]!.conversation_id;

  // One round trip for three independent things: the recipient's opt-outs (already in flight for
  // named channels), the idempotency record and the rate-limit count. Each is one conditional
  // write or read of its own item; a transaction would make them no more atomic, only slower, and
  // would conflict on the hot counter items (rate-limiter.ts). Whatever decides the request, what
  // the others wrote is undone, so a refused request still leaves nothing behind.
  const key = idempotencyKey(company_id, project_id, request_id);
  const limits = { perMinute: company.rate_limits?.requests_per_minute, perDay: company.rate_limits?.requests_per_day };
  const scope = `${company_id}#${project_id}`;
  const [optOutsResult, begunResult, countedResult] = await Promise.allSettled([
    optOutsRead ?? deps.optOuts.optedOutChannels(company_id, request.recipient_data, channels),
    deps.idempotency.begin(key, sha256Hex(canonicalJson(request)), receivedAt),
    deps.rateLimiter.consume(scope, limits, receivedAt),
  ]);
  let started = begunResult.status === 'fulfilled' && begunResult.value.state === 'started';
  let counted = countedResult.status === 'fulfilled';
  const undo = async () => {
    // Both at once: when a dependency hangs, each of these waits out its client timeout too.
    await Promise.all([
      started
        ? deps.idempotency.release(key).catch((releaseError) =>
            // The in-progress lease expires by itself within seconds; the retry then runs.
            deps.logger.warn('Could not release the idempotency record after a failure', { error: releaseError as Error }),
          )
        : undefined,
      counted ? deps.rateLimiter.refund(scope, limits, receivedAt).catch((refundError) => deps.logger.warn('Could not refund the rate-limit count after a failure', { error: refundError as Error })) : undefined,
    ]);
    started = false;
    counted = false;
  };

  // The refusals in the order docs/api.md gives them: opted out; the idempotency record's answer
  // (another body, still in progress); a repeat's original outcome; the rate limit.
  const optedOut = optOutsResult.status === 'fulfilled' ? optOutsResult.value : undefined;
  const refusal =
    optOutsResult.status === 'rejected'
      ? optOutsResult.reason
      : optedOut!.length > 0
        ? forbidden(ErrorCodes.RECIPIENT_OPTED_OUT, `The recipient has opted out of messages from this company on ${optedOut!.join(', ')}; nothing was sent.`)
        : begunResult.status === 'rejected'
          ? begunResult.reason
          : undefined;
  if (refusal !== undefined) {
    await undo();
    throw refusal;
  }
  const begun = (begunResult as PromiseFulfilledResult<BeginOutcome>).value;
  if (begun.state === 'completed') {
    // A repeat is not a new request: it does not count against the limit.
    await undo();
    deps.logger.info('Repeated request: returning the original outcome', { conversation_id: begun.response.conversation_id });
    return {
      status: 'success',
      request_id,
      conversation_id: begun.response.conversation_id,
      conversations: begun.response.conversations ?? conversations,
      message: ACCEPTED_MESSAGE,
      queue_timestamp: begun.response.queue_timestamp,
      replayed: true,
    };
  }
  if (countedResult.status === 'rejected') {
    await undo();
    throw countedResult.reason;
  }

  try {
    const queueTimestamp = deps.clock.now().toISOString();
    await deps.queue.enqueue(contextObject, queueTimestamp);
    // From here the message is queued: a failure to record it must not un-queue it, nor give its
    // count back. The retry re-enqueues the same conversation id, which the compose step's claim
    // turns into a no-op.
    counted = false;
    await deps.idempotency.complete(key, { conversation_id: conversationId, conversations, queue_timestamp: queueTimestamp }, deps.clock.now());
    deps.logger.info('Conversation request queued', { conversation_id: conversationId, channels: channels.join(',') });
    return { status: 'success', request_id, conversation_id: conversationId, conversations, message: ACCEPTED_MESSAGE, queue_timestamp: queueTimestamp, replayed: false };
  } catch (error) {
    await undo();
    throw error;
  }
};
