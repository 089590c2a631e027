import type { Logger } from '@aws-lambda-powertools/logger';
import { CompanyRepository } from '../companies/company-repository';
import { DeliveryRepository } from '../messages/delivery-repository';
import { OptOutStore } from '../opt-outs/opt-out-store';
import { SecretReader } from '../secrets/secret-reader';
import { Clock } from '../util/clock';
import { Governor } from '../governor/governor';
import { RecordRun } from './attempt';
import { ChannelAdapter } from './channel-adapter';
import { Delivery, deliveryOf, derivableDeliveryKey } from './delivery';
import { decideFailure } from './failure';
import { decideOutcome, OutcomeCause, RecordOutcome } from './queue-outcomes';
import { authoriseSending } from './steps/authorise-sending';
import { holdLease, leaseMsFor } from './steps/hold-lease';
import { markAndSend } from './steps/mark-and-send';
import { readCredentials } from './steps/read-credentials';
import { reconcileAfterTakeover } from './steps/reconcile-after-takeover';
import { refuseIfOptedOut } from './steps/refuse-if-opted-out';
import { paceSend } from './steps/pace-send';
import { recordSent } from './steps/record-sent';

export { leaseMsFor, RECORD_DEADLINE } from './steps/hold-lease';
export type { RecordOutcome } from './queue-outcomes';

/** One SQS record as the pipeline needs it. */
export interface QueueRecord {
  messageId: string;
  receiptHandle: string;
  body: string;
  /** ApproximateReceiveCount: 1 on the first delivery. */
  receiveCount: number;
  /** The governor's slot booked for this message by the receive that put it back (its first receive only). */
  bookedSlotMs?: number;
}

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
  /** Named in the CRITICAL line's repair object. */
  conversationsTable: string;
  messagesTable: string;
  /** The queue's RedrivePolicy maxReceiveCount (read from SQS); undefined when it has no DLQ. */
  maxReceiveCount?: number;
  /** How long one record may take after its claim before the attempt gives up (well inside the function's timeout). */
  recordDeadlineMs: number;
}

export interface ProcessingDeps<Credentials extends Record<string, string>> {
  channel: ChannelAdapter<Credentials>;
  /** Each message's delivery state, and its conversation's record of it. */
  deliveries: DeliveryRepository;
  /** The company-data table: the project's own configuration, re-read before sending. */
  companies: Pick<CompanyRepository, 'get'>;
  /** The person's opt-outs, checked right before each send. */
  optOuts: Pick<OptOutStore, 'isOptedOut' | 'record'>;
  secrets: SecretReader;
  /** Paces sends to each sender's rate across every container (docs/throughput.md). */
  governor: Governor;
  /** SQS ChangeMessageVisibility on the record's queue. */
  extendVisibility: (receiptHandle: string, seconds: number) => Promise<void>;
  clock: Clock;
  /** A record's lines go through its own child of this logger (see beginRun). */
  logger: Pick<Logger, 'createChild'>;
  metrics: ProcessingMetrics;
  config: ProcessingConfig;
  sleep?: (ms: number) => Promise<void>;
}

/**
 * docs/processing.md for one queue message: read the delivery → a slot on the sender's rate → claim its message → (holding the
 * lease) authorise → credentials → reconcile after a takeover → the opt-out → mark and send →
 * record. Returns
 * whether to acknowledge (delete) or retry the queue message; it throws only for bugs.
 */
export const processRecord = async <Credentials extends Record<string, string>>(record: QueueRecord, deps: ProcessingDeps<Credentials>): Promise<RecordOutcome> => {
  const run = beginRun(record, deps);
  const delivery = await readDelivery(run, deps);
  if (!('key' in delivery)) return delivery;

  const paced = await paceSend(run, deps, delivery);
  if (paced) return paced;

  const claim = await claimDelivery(run, deps, delivery);
  if (claim.outcome !== 'claimed') return claim;

  return holdLease({ ...run, deps, delivery, claim }, async (attempt) => {
    await authoriseSending(attempt);
    const withCredentials = await readCredentials(attempt);
    const earlier = await reconcileAfterTakeover(attempt, withCredentials);
    if (earlier) return recordSent(attempt, earlier, { reconciled: true });
    await refuseIfOptedOut(attempt);
    const sent = await markAndSend(attempt, withCredentials);
    if (!sent) return attempt.conclude('heartbeat', 'heartbeat failed before the send');
    return recordSent(attempt, sent);
  });
};

/** The record's logger and its one way out (every outcome through queue-outcomes.ts). */
const beginRun = <C extends Record<string, string>>(record: QueueRecord, deps: ProcessingDeps<C>): RecordRun => {
  // The records of a batch run in parallel in one container, so each gets a child logger of its
  // own: appendKeys on the shared logger would put one record's conversation id on another's lines.
  const logger = deps.logger.createChild();
  const { config, metrics } = deps;
  const conclude = (cause: OutcomeCause, reason: string, retryInMs?: number, slotAtMs?: number): RecordOutcome => {
    const decided = decideOutcome(cause, { reason, receiveCount: record.receiveCount, retryInMs, slotAtMs }, config);
    for (const name of decided.metrics) metrics.count(name);
    if (decided.retriesExhausted) logger.error('Retries exhausted: the message goes to the dead-letter queue', { message_id: record.messageId, receive_count: record.receiveCount, reason });
    return decided.outcome;
  };
  return { record, logger, startedAt: deps.clock.now(), lastReceive: config.maxReceiveCount !== undefined && record.receiveCount >= config.maxReceiveCount, conclude };
};

/** Validate: the composed message, with this channel's conversation and part. A broken one is recorded where its keys can still be found, and retried (then parked). */
const readDelivery = async <C extends Record<string, string>>(run: RecordRun, deps: ProcessingDeps<C>): Promise<Delivery | RecordOutcome> => {
  const { record, logger } = run;
  const channel = deps.channel.channel;
  try {
    const delivery = deliveryOf(record.body, channel, deps.config.processorVersion);
    const { request_data } = delivery.contextObject.frontend_payload;
    logger.appendKeys({ conversation_id: delivery.key.conversation.conversation_id, message_key: delivery.key.messageKey, request_id: request_data.request_id, trace_id: delivery.contextObject.metadata.trace_id });
    return delivery;
  } catch (error) {
    const decision = decideFailure('validate', error);
    const key = derivableDeliveryKey(record.body, channel);
    logger.error('Malformed Context Object', { message_id: record.messageId, receive_count: record.receiveCount, reason: decision.reason, conversation_id: key?.conversation.conversation_id });
    if (key) await deps.deliveries.recordUnclaimedFailure(key, { reason: decision.reason, retriesExhausted: run.lastReceive }, deps.clock.now()).catch(() => undefined);
    return run.conclude('malformed', decision.reason);
  }
};

/**
 * Claim the message. The lease ends a little before the queue message becomes visible again, so
 * that after a crash the redelivery finds the lease expired and takes over at once, instead of
 * finding it "busy" and spending one of its receives (maxReceiveCount 3) on waiting.
 */
const claimDelivery = async <C extends Record<string, string>>(run: RecordRun, deps: ProcessingDeps<C>, delivery: Delivery) => {
  const { logger, conclude } = run;
  try {
    const claim = await deps.deliveries.claim(delivery.key, delivery.conversationAttributes, deps.clock.now(), leaseMsFor(deps.config.visibilityTimeoutSeconds));
    if (claim.outcome === 'done') {
      logger.info('Duplicate delivery: the message is already done', { message_status: claim.item.message_status });
      return conclude('duplicate', `already ${claim.item.message_status}`);
    }
    if (claim.outcome === 'busy') {
      logger.info('Another delivery holds the lease; offering this message again after it', { retry_in_ms: claim.retryInMs });
      return conclude('busy', 'busy', claim.retryInMs);
    }
    logger.appendKeys({ attempt: claim.attempt });
    return claim;
  } catch (error) {
    // The claim itself failed (database): nothing was done; try again later.
    logger.error('Could not claim the message', { error: error as Error });
    return conclude('claim-failed', 'claim failed');
  }
};
