import { retentionExpiresAt } from '../companies/retention';
import type { Logger } from '@aws-lambda-powertools/logger';
import { AiResult, AiTurn } from '../ai/openai-content';
import { CHANNEL_DESCRIPTORS } from '../channels';
import { CompanyRepository } from '../companies/company-repository';
import { primaryChannelFor } from '../context-object/conversation-id';
import { parseContextObject } from '../context-object/parse';
import { ComposedMessage, ComposedPart, ContextObject } from '../context-object/types';
import { LeaseLost } from '../errors/lease-lost';
import { AppError } from '../errors/app-error';
import { startHeartbeat } from '../heartbeat/heartbeat';
import { leaseMsFor, ProcessingMetrics, QueueRecord } from '../processing/process-record';
import { decideOutcome, OutcomeCause, RecordOutcome } from '../processing/queue-outcomes';
import { isCredentialsRejected } from '../processing/provider-failure';
import { Channel } from '../request/types';
import { SecretReader } from '../secrets/secret-reader';
import { Clock } from '../util/clock';
import { withDeadline } from '../util/deadline';
import { ThreadRepository } from './thread-repository';
import { threadKeyOf } from './types';
import { Governor } from '../governor/governor';
import { openAiLimit } from '../governor/limits';

/**
 * The compose step (docs/processing.md "Compose"): one request, one AI thread, every channel's
 * first message written on it before fan-out. For one queue message:
 *   validate → claim the request's thread item → authorise (the project's own item) → the AI key
 *   → the thread (created once, stored before anything is generated) → each channel's first
 *   message, one turn after another, each stored as soon as it exists → publish one message →
 *   mark published.
 * A retry (after a crash, a timeout, a failed publish) continues where the earlier attempt
 * stopped: it reuses the stored thread and parts, so the thread is created once and a part is
 * written once (a crash between a turn and its write is the exception: the turn is taken again).
 * Turns on one thread are never taken in parallel: OpenAI refuses a second with `conversation_locked`.
 */
export interface ComposeConfig {
  visibilityTimeoutSeconds: number;
  /** How often the message's visibility and the thread's lease are extended while composing. */
  heartbeatIntervalMs: number;
  retryBackoffBaseSeconds: number;
  retryBackoffMaxSeconds: number;
  maxReceiveCount?: number;
  recordDeadlineMs: number;
}

export interface ComposeDeps {
  threads: ThreadRepository;
  companies: Pick<CompanyRepository, 'get'>;
  secrets: SecretReader;
  ai: {
    createThread(apiKey: string, metadata: Record<string, string>): Promise<string>;
    turn(turn: AiTurn): Promise<AiResult>;
  };
  publish(message: ComposedMessage): Promise<void>;
  /** Paces AI calls to each OpenAI key's rate across every container (docs/throughput.md). */
  governor: Governor;
  /** SQS ChangeMessageVisibility on the record's queue (the heartbeat). */
  extendVisibility(receiptHandle: string, seconds: number): Promise<void>;
  clock: Clock;
  logger: Pick<Logger, 'createChild'>;
  metrics: ProcessingMetrics;
  config: ComposeConfig;
}

export const COMPOSE_REFUSED = 'COMPOSE_REFUSED';

/** What the AI is told for one channel's first message: company, project, representatives, recipient's names, project_data. Never contact details or secrets. */
export const firstMessageInput = (contextObject: ContextObject, channel: Channel) => {
  const company = contextObject.company_data_payload;
  const request = contextObject.frontend_payload;
  return {
    task: 'first_message',
    channel,
    company_name: company.company_name,
    project_name: company.project_name,
    company_rep: company.company_rep ?? {},
    recipient_first_name: request.recipient_data.recipient_first_name ?? null,
    recipient_last_name: request.recipient_data.recipient_last_name ?? null,
    max_message_length: channel === 'sms' ? (company.rate_limits?.max_message_length ?? null) : null,
    project_data: request.project_data ?? {},
  };
};

/**
 * The OpenAI key of the request's thread. OpenAI keeps a conversation within the project of the
 * key that created it, so every turn on the thread must use one key: the channels' references
 * must agree (onboarding refuses a project whose do not).
 */
export const threadKeyReference = (contextObject: ContextObject): string | undefined => {
  const references = new Set(contextObject.frontend_payload.request_data.channel_method.map((channel) => contextObject.company_data_payload.ai_config.openai_config[channel]?.api_key_reference));
  return references.size === 1 ? [...references][0] : undefined;
};

export const composeRecord = async (record: QueueRecord, deps: ComposeDeps): Promise<RecordOutcome> => {
  const { config, clock, metrics } = deps;
  const logger = deps.logger.createChild();
  /** Every way out goes through here: the queue outcome and its metrics come from one table (processing/queue-outcomes.ts). */
  const conclude = (cause: OutcomeCause, reason: string, retryInMs?: number, slotAtMs?: number): RecordOutcome => {
    const decided = decideOutcome(cause, { reason, receiveCount: record.receiveCount, retryInMs, slotAtMs }, config);
    for (const name of decided.metrics) metrics.count(name);
    if (decided.retriesExhausted) logger.error('Retries exhausted: the message goes to the dead-letter queue', { message_id: record.messageId, receive_count: record.receiveCount, reason });
    return decided.outcome;
  };

  // Validate.
  let contextObject: ContextObject;
  try {
    contextObject = parseContextObject(record.body);
  } catch (error) {
    logger.error('Malformed Context Object', { message_id: record.messageId, receive_count: record.receiveCount, reason: (error as Error).message });
    return conclude('malformed', (error as Error).message.slice(0, 500));
  }
  const request = contextObject.frontend_payload;
  const channels = request.request_data.channel_method;
  const threadKey = threadKeyOf(request.company_data.company_id, request.company_data.project_id, request.request_data.request_id);
  logger.appendKeys({ request_id: request.request_data.request_id, trace_id: contextObject.metadata.trace_id, channels: channels.join(',') });

  // A slot on the OpenAI key's rate for the request's turns, before the claim, so that a request
  // put back for a later slot holds no lease (docs/throughput.md). Creating the thread is not a
  // model request: OpenAI's requests-per-minute limits are per model.
  const keyReference = threadKeyReference(contextObject);
  const aiLimit = keyReference ? openAiLimit(keyReference, channels.map((channel) => contextObject.company_data_payload.ai_config.openai_config[channel])) : undefined;
  if (aiLimit && deps.governor.enabled) {
    try {
      const decision = await deps.governor.pace(aiLimit, channels.length, record.bookedSlotMs);
      if (!decision.go) {
        logger.info('The OpenAI key is at its rate; the request waits for its slot', { delay_seconds: decision.delaySeconds });
        return conclude('rate-limited', `waiting for a slot on ${aiLimit.bucket}`, decision.delaySeconds * 1000, decision.slotAtMs);
      }
      if (decision.waitedMs > 0) metrics.count('RateLimitWaitMs', decision.waitedMs);
    } catch (error) {
      logger.error("Could not book a slot on the OpenAI key's rate", { error: error as Error });
      return conclude('database', 'governor unavailable');
    }
  }

  // Claim the request's thread item.
  const leaseMs = leaseMsFor(config.visibilityTimeoutSeconds);
  let claim;
  try {
    claim = await deps.threads.claim(
      {
        thread_key: threadKey,
        expires_at: retentionExpiresAt(contextObject.company_data_payload, clock.now()),
        company_id: request.company_data.company_id,
        project_id: request.company_data.project_id,
        request_id: request.request_data.request_id,
        channels,
        conversations: contextObject.conversation_data.conversations.map(({ channel, conversation_id }) => ({ channel, conversation_id, primary_channel: primaryChannelFor(request, channel) })),
      },
      clock.now(),
      leaseMs,
    );
  } catch (error) {
    logger.error('Could not claim the thread', { error: error as Error });
    return conclude('claim-failed', 'claim failed');
  }
  if (claim.outcome === 'done') {
    logger.info('Duplicate delivery: the request is already composed', { status: claim.item.status });
    return conclude('duplicate', `already ${claim.item.status}`);
  }
  if (claim.outcome === 'busy') return conclude('busy', 'busy', claim.retryInMs);
  const { leaseToken, item } = claim;
  logger.appendKeys({ attempt: claim.attempt });

  let step: 'authorise' | 'secrets' | 'ai' | 'publish' = 'authorise';
  const work = async (): Promise<RecordOutcome> => {
    // Authorise: the project's own item, not the message.
    const current = await deps.companies.get(request.company_data.company_id, request.company_data.project_id);
    const refusals = !current ? ['the project does not exist'] : current.project_status !== 'active' ? [`project ${current.project_id} is not active`] : [];
    if (!keyReference) refusals.push('the channels name different OpenAI keys; one request is one thread, which needs one key');
    if (refusals.length > 0) throw new AppError('permanent', COMPOSE_REFUSED, `Not composed: ${refusals.join('; ')}.`);

    // The AI key.
    step = 'secrets';
    const readKey = async () => (await deps.secrets.getJson<{ ai_api_key: string }>(keyReference!, ['ai_api_key'])).ai_api_key;
    let apiKey = await readKey();
    /** A refused key may be one rotated since it was cached: read it again once and repeat. */
    const withKey = async <T>(call: (key: string) => Promise<T>): Promise<T> => {
      try {
        return await call(apiKey);
      } catch (error) {
        if (!isCredentialsRejected(error)) throw error;
        logger.warn('OpenAI refused the cached key; reading the secret again once', { secret: keyReference });
        deps.secrets.evict(keyReference!);
        apiKey = await readKey();
        return call(apiKey);
      }
    };

    // The thread: created once and stored before any content, so every retry reuses it.
    step = 'ai';
    const metadata = { request_id: request.request_data.request_id, trace_id: contextObject.metadata.trace_id.slice(0, 512) };
    let threadId = item.thread_id;
    if (!threadId) {
      threadId = await withKey((key) => deps.ai.createThread(key, metadata));
      await deps.threads.recordThreadId(threadKey, leaseToken, threadId, clock.now());
      metrics.count('ThreadsCreated');
    }

    // Each channel's first message, one turn after another, each stored as soon as it exists.
    const composed: Partial<Record<Channel, ComposedPart>> = { ...(item.composed ?? {}) };
    for (const channel of channels) {
      if (composed[channel]) continue;
      const result = await withKey((key) =>
        deps.ai.turn({
          apiKey: key,
          config: contextObject.company_data_payload.ai_config.openai_config[channel]!,
          threadId: threadId!,
          input: firstMessageInput(contextObject, channel),
          outputSchema: CHANNEL_DESCRIPTORS[channel].firstMessageSchema,
          metadata: { ...metadata, channel },
        }),
      );
      const part: ComposedPart = { text: result.text, ...(result.json ? { json: result.json } : {}), usage: result.usage };
      await deps.threads.recordPart(threadKey, leaseToken, channel, part, clock.now());
      composed[channel] = part;
    }

    // One message to the fan-out topic, then the mark. A crash between the two publishes again,
    // which each sender's claim turns into a duplicate: never two messages.
    step = 'publish';
    const message: ComposedMessage = { ...contextObject, conversation_data: { ...contextObject.conversation_data, thread_id: threadId }, composed };
    await deps.publish(message);
    await deps.threads.markPublished(threadKey, leaseToken, clock.now());
    logger.info('Composed and published', { thread_id: threadId, conversations: contextObject.conversation_data.conversations.map((c) => c.conversation_id) });
    return conclude('published', 'published');
  };

  const fail = async (error: unknown): Promise<RecordOutcome> => {
    if (error instanceof LeaseLost) return conclude('lease-lost', 'lease lost');
    const appError = error instanceof AppError ? error : undefined;
    const failureClass = appError?.kind === 'permanent' && step !== 'secrets' ? 'permanent' : 'transient';
    const reason = (appError?.message ?? 'Unexpected failure.').slice(0, 500);
    // OpenAI refused for rate (after the SDK's own retry): the request waits as long as OpenAI
    // says, and every container holds back with it. With the governor off, the transient failure it used to be.
    const rateLimited = appError?.kind === 'rate-limited' && deps.governor.enabled;
    logger.error('Compose failed', { step, failure_class: failureClass, failure_reason: reason, error: error as Error });
    try {
      await deps.threads.recordFailure(threadKey, leaseToken, { reason, failureClass }, clock.now());
    } catch (recordError) {
      logger.error('Could not record the failure on the thread', { error: recordError as Error });
      return conclude('failure-not-recorded', 'failure not recorded');
    }
    if (rateLimited) {
      const retryAfterMs = (appError.retryAfterSeconds ?? 1) * 1000;
      if (aiLimit) await deps.governor.refused(aiLimit, retryAfterMs).catch((holdError: unknown) => logger.error('Could not hold the OpenAI key back', { error: holdError as Error }));
      return conclude('rate-limited', reason, retryAfterMs);
    }
    return conclude(failureClass, reason);
  };

  // While composing, the message stays invisible and the lease alive (as a sender's does).
  const heartbeat = startHeartbeat(
    async () => {
      await deps.extendVisibility(record.receiptHandle, config.visibilityTimeoutSeconds);
      await deps.threads.extendLease(threadKey, leaseToken, new Date(clock.now().getTime() + leaseMs));
    },
    config.heartbeatIntervalMs,
    (error) => logger.error('Heartbeat failed; the attempt may be taken over', { error: error as Error }),
  );
  try {
    return await withDeadline(work().catch(fail), config.recordDeadlineMs, () => {
      metrics.count('RecordDeadlineExceeded');
      return fail(new AppError('transient', 'RECORD_DEADLINE', `The compose step did not finish within ${Math.round(config.recordDeadlineMs / 1000)} s (at the ${step} step).`));
    });
  } finally {
    await heartbeat.stop();
  }
};
