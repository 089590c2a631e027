import type { Logger } from '@aws-lambda-powertools/logger';
import { AppError } from '../errors/app-error';
import { Heartbeat, startHeartbeat } from '../heartbeat/heartbeat';
import type { Clock } from '../util/clock';
import { withDeadline } from '../util/deadline';
import type { ProcessingMetrics, QueueRecord } from './queue-record';

export const RECORD_DEADLINE = 'RECORD_DEADLINE';

/** Visibility timeout minus a margin of 10 % (at least 1 s, at most 5 s). */
export const leaseMsFor = (visibilityTimeoutSeconds: number): number => {
  const marginMs = Math.min(5000, Math.max(1000, visibilityTimeoutSeconds * 100));
  return Math.max(1000, visibilityTimeoutSeconds * 1000 - marginMs);
};

export interface LeaseTerms {
  record: QueueRecord;
  /** The queue's real visibility timeout: each beat extends the message and the lease by it. */
  visibilityTimeoutSeconds: number;
  heartbeatIntervalMs: number;
  /** How long the work may take after the claim before the attempt gives up. */
  deadlineMs: number;
  /** SQS ChangeMessageVisibility on the record's queue. */
  extendVisibility: (receiptHandle: string, seconds: number) => Promise<void>;
  /** Extends the claimed item's lease (the message's, the thread's) to `until`. */
  extendLease: (until: Date) => Promise<void>;
  clock: Clock;
  logger: Pick<Logger, 'error'>;
  metrics: ProcessingMetrics;
  /** Names the work in the deadline's failure ("the attempt", "the compose step"). */
  what: string;
  /** The step running now, named in the deadline's failure. */
  step(): string;
}

/**
 * Run the work of a claimed record while holding its lease: a heartbeat keeps the queue message
 * invisible and the lease alive (by the queue's real timeout); any failure goes to `fail`; and
 * the record has a deadline of its own. Every client has its own timeouts; the deadline is the
 * last word, so that no hung call keeps a record (and its batch) until the Lambda timeout. Past
 * it `fail` records the failure (which ends the lease, so the abandoned work can no longer mark
 * anything) and the message is offered again; the next attempt continues or reconciles.
 */
export const holdLease = async <R>(
  terms: LeaseTerms,
  work: (heartbeat: Heartbeat) => Promise<R>,
  fail: (error: unknown) => Promise<R>,
): Promise<R> => {
  const { record, clock, logger } = terms;
  const leaseMs = leaseMsFor(terms.visibilityTimeoutSeconds);
  const heartbeat = startHeartbeat(
    async () => {
      await terms.extendVisibility(record.receiptHandle, terms.visibilityTimeoutSeconds);
      await terms.extendLease(new Date(clock.now().getTime() + leaseMs));
    },
    terms.heartbeatIntervalMs,
    (error) => logger.error('Heartbeat failed; the attempt will stop before its next irreversible step', { error: error as Error }),
  );
  try {
    return await withDeadline(work(heartbeat).catch(fail), terms.deadlineMs, () => {
      logger.error('The record passed its deadline; giving up this attempt', { step: terms.step(), deadline_ms: terms.deadlineMs });
      terms.metrics.count('RecordDeadlineExceeded');
      return fail(
        new AppError(
          'transient',
          RECORD_DEADLINE,
          `${terms.what} did not finish within ${Math.round(terms.deadlineMs / 1000)} s (at the ${terms.step()} step).`,
        ),
      );
    });
  } finally {
    await heartbeat.stop();
  }
};
