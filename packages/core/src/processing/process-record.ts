import { Delivery, deliveryOf, derivableDeliveryKey } from './delivery';
import { decideFailure } from './failure';
import { beginRecordRun, RecordRun } from '../queue-work/record-run';
import { leaseMsFor } from '../queue-work/lease';
import type { QueueRecord } from '../queue-work/queue-record';
import type { RecordOutcome } from '../queue-work/queue-outcomes';
import type { ProcessingDeps } from './processing-deps';

export type { ProcessingConfig, ProcessingDeps } from './processing-deps';
import { authoriseSending } from './steps/authorise-sending';
import { holdLease } from './steps/hold-lease';
import { markAndSend } from './steps/mark-and-send';
import { readCredentials } from './steps/read-credentials';
import { reconcileAfterTakeover } from './steps/reconcile-after-takeover';
import { refuseIfOptedOut } from './steps/refuse-if-opted-out';
import { paceSend } from './steps/pace-send';
import { recordSent } from './steps/record-sent';

/**
 * docs/processing.md for one queue message: read the delivery → a slot on the sender's rate → claim its message → (holding the
 * lease) authorise → credentials → reconcile after a takeover → the opt-out → mark and send →
 * record. Returns
 * whether to acknowledge (delete) or retry the queue message; it throws only for bugs.
 */
export const processRecord = async <Credentials extends Record<string, string>>(
  record: QueueRecord,
  deps: ProcessingDeps<Credentials>,
): Promise<RecordOutcome> => {
  const run = beginRecordRun(record, deps);
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

/** Validate: the composed message, with this channel's conversation and part. A broken one is recorded where its keys can still be found, and retried (then parked). */
const readDelivery = async <C extends Record<string, string>>(
  run: RecordRun,
  deps: ProcessingDeps<C>,
): Promise<Delivery | RecordOutcome> => {
  const { record, logger } = run;
  const channel = deps.channel.channel;
  try {
    const delivery = deliveryOf(record.body, channel, deps.config.processorVersion);
    const { request_data } = delivery.contextObject.frontend_payload;
    logger.appendKeys({
      conversation_id: delivery.key.conversation.conversation_id,
      message_key: delivery.key.messageKey,
      request_id: request_data.request_id,
      trace_id: delivery.contextObject.metadata.trace_id,
    });
    return delivery;
  } catch (error) {
    const decision = decideFailure('validate', error);
    const key = derivableDeliveryKey(record.body, channel);
    logger.error('Malformed Context Object', {
      message_id: record.messageId,
      receive_count: record.receiveCount,
      reason: decision.reason,
      conversation_id: key?.conversation.conversation_id,
    });
    if (key)
      await deps.deliveries
        .recordUnclaimedFailure(key, { reason: decision.reason, retriesExhausted: run.lastReceive }, deps.clock.now())
        .catch(() => undefined);
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
    const claim = await deps.deliveries.claim(
      delivery.key,
      delivery.conversationAttributes,
      deps.clock.now(),
      leaseMsFor(deps.config.visibilityTimeoutSeconds),
    );
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
