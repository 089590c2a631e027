import { AppError } from '../../errors/app-error';
import { startHeartbeat } from '../../heartbeat/heartbeat';
import { withDeadline } from '../../util/deadline';
import { Attempt } from '../attempt';
import { RecordOutcome } from '../queue-outcomes';
import { recordFailure } from './record-failure';

export const RECORD_DEADLINE = 'RECORD_DEADLINE';

/** Visibility timeout minus a margin of 10 % (at least 1 s, at most 5 s). */
export const leaseMsFor = (visibilityTimeoutSeconds: number): number => {
  const marginMs = Math.min(5000, Math.max(1000, visibilityTimeoutSeconds * 100));
  return Math.max(1000, visibilityTimeoutSeconds * 1000 - marginMs);
};

/**
 * Run the work of a claimed delivery while holding its lease: a heartbeat keeps the queue
 * message invisible and the lease alive (by the queue's real timeout); any failure is recorded;
 * and the record has a deadline of its own. Every client has its own timeouts; the deadline is
 * the last word, so that no hung call keeps a record (and its batch) until the Lambda timeout.
 * Past it the failure is recorded (which ends the lease, so the abandoned work can no longer
 * mark a send) and the message is offered again; the next attempt reconciles before it sends.
 */
export const holdLease = async <C extends Record<string, string>>(
  attempt: Omit<Attempt<C>, 'heartbeat' | 'step'>,
  work: (attempt: Attempt<C>) => Promise<RecordOutcome>,
): Promise<RecordOutcome> => {
  const { deps, record, delivery, claim, logger } = attempt;
  const { config, clock } = deps;
  const leaseMs = leaseMsFor(config.visibilityTimeoutSeconds);
  const heartbeat = startHeartbeat(
    async () => {
      await deps.extendVisibility(record.receiptHandle, config.visibilityTimeoutSeconds);
      await deps.deliveries.extendLease(delivery.key, claim.leaseToken, new Date(clock.now().getTime() + leaseMs));
    },
    config.heartbeatIntervalMs,
    (error) => logger.error('Heartbeat failed; the attempt will stop before sending', { error: error as Error }),
  );
  const held: Attempt<C> = { ...attempt, heartbeat, step: 'authorise' };
  try {
    return await withDeadline(
      work(held).catch((error: unknown) => recordFailure(held, error)),
      config.recordDeadlineMs,
      () => {
        logger.error('The record passed its deadline; giving up this attempt', { step: held.step, deadline_ms: config.recordDeadlineMs });
        deps.metrics.count('RecordDeadlineExceeded');
        return recordFailure(held, new AppError('transient', RECORD_DEADLINE, `The attempt did not finish within ${Math.round(config.recordDeadlineMs / 1000)} s (at the ${held.step} step).`));
      },
    );
  } finally {
    await heartbeat.stop();
  }
};
