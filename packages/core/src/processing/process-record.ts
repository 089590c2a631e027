import type { Logger } from '@aws-lambda-powertools/logger';
import { AiResult } from '../ai/openai-content';
import { conversationIdOf, parseComposedMessage } from '../context-object/parse';
import { primaryChannelFor } from '../context-object/conversation-id';
import { ComposedMessage } from '../context-object/types';
import { Channel } from '../request/types';
import { CHANNEL_DESCRIPTORS } from '../channels';
import { ConversationKey, MessageEntry } from '../conversations/types';
import { ConversationRepository, LeaseLost } from '../conversations/conversation-repository';
import { AppError } from '../errors/app-error';
import { startHeartbeat } from '../heartbeat/heartbeat';
import { SecretReader } from '../secrets/secret-reader';
import { Clock } from '../util/clock';
import { withDeadline } from '../util/deadline';
import { ChannelAdapter, SentMessage } from './channel-adapter';
import { decideFailure, Step } from './failure';
import { decideOutcome, OutcomeCause, RecordOutcome } from './queue-outcomes';
import { isCredentialsRejected } from './provider-failure';
import { sendingRefusals, sendNotAuthorised } from './sending-authorisation';
import { CompanyRepository } from '../companies/company-repository';

/** One SQS record as the pipeline needs it. */
export interface QueueRecord {
  messageId: string;
  receiptHandle: string;
  body: string;
  /** ApproximateReceiveCount: 1 on the first delivery. */
  receiveCount: number;
}

export type { RecordOutcome } from './queue-outcomes';

export interface ProcessingMetrics {
  count(name: string, value?: number): void;
}

export interface ProcessingConfig {
  /** The queue's real visibility timeout (read from SQS): the lease and each heartbeat extension. */
  visibilityTimeoutSeconds: number;
  heartbeatIntervalMs: number;
  /** Backoff before a retried message is offered again: base × 2^(receiveCount−1), capped. */
  retryBackoffBaseSeconds: number;
  retryBackoffMaxSeconds: number;
  /** Attempts at the final update before the CRITICAL line. */
  finalUpdateAttempts: number;
  processorVersion: string;
  conversationsTable: string;
  /** The queue's RedrivePolicy maxReceiveCount (read from SQS); undefined when it has no DLQ. */
  maxReceiveCount?: number;
  /** How long one record may take after its claim before the attempt gives up (well inside the function's timeout). */
  recordDeadlineMs: number;
}

export const RECORD_DEADLINE = 'RECORD_DEADLINE';

export interface ProcessingDeps<Credentials extends Record<string, string>> {
  channel: ChannelAdapter<Credentials>;
  conversations: ConversationRepository;
  /** The company-data table: the project's own configuration, re-read before sending. */
  companies: Pick<CompanyRepository, 'get'>;
  secrets: SecretReader;
  /** SQS ChangeMessageVisibility on the record's queue. */
  extendVisibility: (receiptHandle: string, seconds: number) => Promise<void>;
  clock: Clock;
  /** A record's lines go through its own child of this logger (see processRecord). */
  logger: Pick<Logger, 'createChild'>;
  metrics: ProcessingMetrics;
  config: ProcessingConfig;
  sleep?: (ms: number) => Promise<void>;
}

/** Visibility timeout minus a margin of 10 % (at least 1 s, at most 5 s). */
export const leaseMsFor = (visibilityTimeoutSeconds: number): number => {
  const marginMs = Math.min(5000, Math.max(1000, visibilityTimeoutSeconds * 100));
  return Math.max(1000, visibilityTimeoutSeconds * 1000 - marginMs);
};


/** Keys of a message too broken to validate, when they can still be found (to record the failure). */
const derivableKey = (body: string, channel: Channel): ConversationKey | undefined => {
  try {
    const value = JSON.parse(body) as Partial<ComposedMessage>;
    const conversationId = value.conversation_data?.conversations?.find?.((c) => c?.channel === channel)?.conversation_id;
    const recipient = value.frontend_payload?.recipient_data;
    const primary = recipient ? recipient[CHANNEL_DESCRIPTORS[channel].recipientField] : undefined;
    return typeof conversationId === 'string' && typeof primary === 'string' && conversationId && primary
      ? { primary_channel: primary, conversation_id: conversationId }
      : undefined;
  } catch {
    return undefined;
  }
};

/** The conversation item's first version: docs/data-model.md's copied attributes (this channel's config only). */
const initialAttributes = (message: ComposedMessage, channel: Channel, config: ProcessingConfig) => {
  const request = message.frontend_payload;
  const company = message.company_data_payload;
  return {
    company_id: request.company_data.company_id,
    project_id: request.company_data.project_id,
    company_project: `${request.company_data.company_id}#${request.company_data.project_id}`,
    request_id: request.request_data.request_id,
    channel_method: channel,
    // Every channel of the request: its other conversations share this one's thread.
    request_channels: request.request_data.channel_method,
    initial_request_timestamp: request.request_data.initial_request_timestamp,
    recipient_first_name: request.recipient_data.recipient_first_name,
    recipient_last_name: request.recipient_data.recipient_last_name,
    recipient_tel: request.recipient_data.recipient_tel,
    recipient_email: request.recipient_data.recipient_email,
    comms_consent: request.recipient_data.comms_consent,
    // Free-form client data is stored as JSON text, never as a DynamoDB map: its keys and numbers
    // are the client's, and the marshaller and DynamoDB refuse or silently lose some of them
    // (a "constructor" or "__proto__" key, an empty key, a number beyond 2^53 or DynamoDB's range).
    project_data_json: request.project_data === undefined ? undefined : JSON.stringify(request.project_data),
    company_name: company.company_name,
    project_name: company.project_name,
    company_rep: company.company_rep,
    ai_config: { openai_config: { [channel]: company.ai_config.openai_config[channel] } },
    channel_config: { [channel]: company.channel_config[channel] },
    thread_id: message.conversation_data.thread_id,
    task_complete: 0,
    hand_off_to_human: false,
    router_version: message.metadata.router_version,
    processor_version: config.processorVersion,
    trace_id: message.metadata.trace_id,
  };
};

/**
 * docs/processing.md for one queue message. Returns whether to acknowledge (delete) or retry it; it
 * throws only for bugs. Order: validate → claim → heartbeat → authorise (the project's own item)
 * → secrets → reconcile (after a takeover) → AI → mark send (with the content) → send → final
 * update, all after the claim within the record's deadline.
 */
export const processRecord = async <Credentials extends Record<string, string>>(
  record: QueueRecord,
  deps: ProcessingDeps<Credentials>,
): Promise<RecordOutcome> => {
  const { config, metrics, clock } = deps;
  // The records of a batch run in parallel in one container, so each gets a child logger of its
  // own: appendKeys on the shared logger would put one record's conversation id on another's lines.
  const logger = deps.logger.createChild();
  const startedAt = clock.now();
  // On the last receive a "retry" means the DLQ: say so where operators look (log, metric, item).
  const lastReceive = config.maxReceiveCount !== undefined && record.receiveCount >= config.maxReceiveCount;
  /** Every way out goes through here: the queue outcome and its metrics come from one table (queue-outcomes.ts). */
  const conclude = (cause: OutcomeCause, reason: string, retryInMs?: number): RecordOutcome => {
    const decided = decideOutcome(cause, { reason, receiveCount: record.receiveCount, retryInMs }, config);
    for (const name of decided.metrics) metrics.count(name);
    if (decided.retriesExhausted) logger.error('Retries exhausted: the message goes to the dead-letter queue', { message_id: record.messageId, receive_count: record.receiveCount, reason });
    return decided.outcome;
  };

  // 1. Validate: the composed message, with this channel's conversation and part.
  const channel = deps.channel.channel;
  let contextObject: ComposedMessage;
  try {
    contextObject = parseComposedMessage(record.body, channel);
  } catch (error) {
    const decision = decideFailure('validate', error);
    const key = derivableKey(record.body, channel);
    logger.error('Malformed Context Object', { message_id: record.messageId, receive_count: record.receiveCount, reason: decision.reason, conversation_id: key?.conversation_id });
    if (key) await deps.conversations.recordUnclaimedFailure(key, { reason: decision.reason, retriesExhausted: lastReceive }, clock.now()).catch(() => undefined);
    return conclude('malformed', decision.reason);
  }

  const conversationId = conversationIdOf(contextObject, channel);
  const key: ConversationKey = { primary_channel: primaryChannelFor(contextObject.frontend_payload, channel), conversation_id: conversationId };
  logger.appendKeys({ conversation_id: conversationId, request_id: contextObject.frontend_payload.request_data.request_id, trace_id: contextObject.metadata.trace_id });
  try {
    // 2. Claim. The lease ends a little before the message becomes visible again, so that after a
    // crash the redelivery finds the lease expired and takes over at once, instead of finding it
    // "busy" and spending one of its receives (maxReceiveCount 3) on waiting.
    const leaseMs = leaseMsFor(config.visibilityTimeoutSeconds);
    const claim = await deps.conversations.claim(key, initialAttributes(contextObject, channel, config), clock.now(), leaseMs);
    if (claim.outcome === 'done') {
      logger.info('Duplicate delivery: the conversation is already done', { conversation_status: claim.item.conversation_status });
      return conclude('duplicate', `already ${claim.item.conversation_status}`);
    }
    if (claim.outcome === 'busy') {
      logger.info('Another delivery holds the lease; offering this message again after it', { retry_in_ms: claim.retryInMs });
      return conclude('busy', 'busy', claim.retryInMs);
    }
    const { leaseToken, attempt } = claim;
    const threadId = contextObject.conversation_data.thread_id;
    logger.appendKeys({ attempt });

    // 3. Heartbeat: visibility and lease, by the queue's real timeout.
    const heartbeat = startHeartbeat(
      async () => {
        await deps.extendVisibility(record.receiptHandle, config.visibilityTimeoutSeconds);
        await deps.conversations.extendLease(key, leaseToken, new Date(clock.now().getTime() + leaseMs));
      },
      config.heartbeatIntervalMs,
      (error) => logger.error('Heartbeat failed; the attempt will stop before sending', { error: error as Error }),
    );

    let step: Step = 'authorise';
    /**
     * The work after the claim. It runs against the record's deadline (below): every client has
     * its own timeouts, and the deadline is the last word, so that no hung call keeps a record
     * (and its batch) until the Lambda timeout.
     */
    const work = async (): Promise<RecordOutcome> => {
      // 4. Authorise: the project's own item, not the message, says whether and from where to send.
      const refusals = sendingRefusals(contextObject, channel, await deps.companies.get(contextObject.frontend_payload.company_data.company_id, contextObject.frontend_payload.company_data.project_id));
      if (refusals.length > 0) throw sendNotAuthorised(refusals);

      // 5. Secrets: the channel's credentials (the compose step holds the AI's).
      step = 'secrets';
      const secretRef = deps.channel.credentialsSecret(contextObject);
      const channelSecret = () => deps.secrets.getJson<Credentials>(secretRef.name, secretRef.requiredKeys);
      let credentials: Credentials = await channelSecret();
      /**
       * A provider that refuses our credentials may be refusing a value rotated since this
       * container cached it: forget the cached secret, read it again and repeat the call once.
       * (A refused call did nothing at the provider, so repeating it is safe.)
       */
      const withChannelCredentials = async <T>(call: (fresh: Credentials) => Promise<T>): Promise<T> => {
        try {
          return await call(credentials);
        } catch (error) {
          if (!isCredentialsRejected(error)) throw error;
          logger.warn('The provider refused the cached credentials; reading the secret again once', { secret: secretRef.name });
          deps.secrets.evict(secretRef.name);
          credentials = await channelSecret();
          return call(credentials);
        }
      };

      // 6a. After a takeover of an attempt that may have sent: ask the provider before anything else.
      step = 'send';
      const intents = claim.item.send_intents ?? (claim.item.send_started_at ? [{ at: claim.item.send_started_at }] : []);
      if (claim.takenOver && intents.length > 0 && !claim.item.provider_message_id) {
        const found = await withChannelCredentials((fresh) => deps.channel.reconcile({ contextObject, credentials: fresh, intents, conversationId }));
        if (found) {
          logger.warn('Reconciled: the provider already has this message; recording it instead of sending again', { provider_message_id: found.messageId });
          return await finish(found, { reconciled: true });
        }
      }

      // 7. The content: what the compose step wrote for this channel on the shared thread.
      const ai: AiResult = { threadId, ...contextObject.composed[channel]! };

      // 8. Mark (with what is about to be sent), then send, only while we still hold the message and the lease.
      step = 'send';
      if (!heartbeat.healthy()) return conclude('heartbeat', 'heartbeat failed before the send');
      await deps.conversations.markSendStarted(key, leaseToken, clock.now(), deps.channel.contentToSend({ contextObject, ai }));
      const sent = await withChannelCredentials((fresh) => deps.channel.send({ contextObject, credentials: fresh, ai, conversationId }));
      return await finish(sent, { usage: ai.usage });
    };

    const recordFailure = async (error: unknown): Promise<RecordOutcome> => {
      if (error instanceof LeaseLost) {
        logger.warn('Lease lost to another attempt; stopping without sending');
        return conclude('lease-lost', 'lease lost');
      }
      if (error instanceof AppError && error.code === 'DATABASE_ERROR') {
        logger.error('Database failure during processing', { error: error as Error });
        return conclude('database', 'database failure');
      }
      const decision = decideFailure(step, error);
      logger.error('Processing failed', { step, failure_class: decision.failureClass, failure_reason: decision.reason, conversation_status: decision.status, error: error as Error });
      try {
        await deps.conversations.recordFailure(
          key,
          leaseToken,
          { status: decision.status, reason: decision.reason, failureClass: decision.failureClass, retriesExhausted: decision.queue === 'retry' && lastReceive },
          clock.now(),
        );
      } catch (recordError) {
        logger.error('Could not record the failure on the conversation', { error: recordError as Error });
        return conclude('failure-not-recorded', 'failure not recorded');
      }
      return conclude(decision.queue === 'retry' ? 'transient' : 'permanent', decision.reason);
    };

    // The record's own deadline. Past it the attempt gives up: the failure is recorded (which
    // also ends the lease, so the abandoned work can no longer mark a send) and the message is
    // offered again; the next attempt reconciles before it sends.
    try {
      return await withDeadline(work().catch(recordFailure), config.recordDeadlineMs, () => {
        logger.error('The record passed its deadline; giving up this attempt', { step, deadline_ms: config.recordDeadlineMs });
        metrics.count('RecordDeadlineExceeded');
        return recordFailure(new AppError('transient', RECORD_DEADLINE, `The attempt did not finish within ${Math.round(config.recordDeadlineMs / 1000)} s (at the ${step} step).`));
      });
    } finally {
      await heartbeat.stop();
    }

    /** 7. Final update with quick retries; past them, one CRITICAL line to repair by hand, and no re-send. */
    async function finish(sent: SentMessage, extra: { usage?: AiResult['usage']; reconciled?: boolean }): Promise<RecordOutcome> {
      const now = clock.now();
      const message: MessageEntry = {
        message_id: sent.messageId,
        timestamp: now.toISOString(),
        role: 'assistant',
        channel: deps.channel.channel,
        content: sent.content,
        ...(sent.details ?? {}),
        ...(extra.usage ?? {}),
        ...(extra.reconciled ? { reconciled: true } : {}),
      };
      const update = {
        message,
        threadId,
        processingTimeMs: now.getTime() - startedAt.getTime(),
        processorVersion: config.processorVersion,
        inboundKey: deps.channel.inboundKey(contextObject, sent),
      };
      let lastError: unknown;
      for (let tryNumber = 1; tryNumber <= config.finalUpdateAttempts; tryNumber += 1) {
        try {
          await deps.conversations.complete(key, update, clock.now());
          const latencyMs = clock.now().getTime() - Date.parse(contextObject.metadata.received_at);
          metrics.count('EndToEndLatencyMs', latencyMs);
          logger.info('Message sent and recorded', { provider_message_id: sent.messageId, processing_time_ms: update.processingTimeMs, end_to_end_ms: latencyMs });
          return conclude(extra.reconciled ? 'reconciled' : 'sent', 'sent');
        } catch (error) {
          lastError = error;
          if (tryNumber < config.finalUpdateAttempts) await (deps.sleep ?? sleep)(100 * 3 ** (tryNumber - 1));
        }
      }
      logger.critical('POST_SEND_UPDATE_FAILED: the message was sent but the conversation item could not be updated; repair it by hand', {
        repair: {
          table: config.conversationsTable,
          key,
          conversation_id: conversationId,
          provider_message_id: sent.messageId,
          conversation_status: 'initial_message_sent',
          thread_id: threadId,
          timestamp: message.timestamp,
          message_entry: message,
        },
        error: (lastError as AppError)?.cause as Error,
      });
      return conclude('post-send-update-failed', 'sent; final update failed (CRITICAL logged)');
    }
  } catch (error) {
    // The claim itself failed (database): nothing was done; try again later.
    logger.error('Could not claim the conversation', { error: error as Error });
    return conclude('claim-failed', 'claim failed');
  }
};

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
