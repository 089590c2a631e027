import { holdLease as holdRecordLease } from '../../queue-work/lease';
import type { RecordOutcome } from '../../queue-work/queue-outcomes';
import { Attempt } from '../attempt';
import { recordFailure } from './record-failure';

/**
 * Run the work of a claimed delivery while holding its lease (queue-work/lease.ts: heartbeat,
 * deadline); any failure, the deadline's included, is recorded on the message, which ends the
 * lease, so abandoned work can no longer mark a send; the next attempt reconciles before it sends.
 */
export const holdLease = async <C extends Record<string, string>>(
  attempt: Omit<Attempt<C>, 'heartbeat' | 'step'>,
  work: (attempt: Attempt<C>) => Promise<RecordOutcome>,
): Promise<RecordOutcome> => {
  const { deps, record, delivery, claim, logger } = attempt;
  const { config } = deps;
  let held: Attempt<C> | undefined;
  return holdRecordLease(
    {
      record,
      visibilityTimeoutSeconds: config.visibilityTimeoutSeconds,
      heartbeatIntervalMs: config.heartbeatIntervalMs,
      deadlineMs: config.recordDeadlineMs,
      extendVisibility: deps.extendVisibility,
      extendLease: (until) => deps.deliveries.extendLease(delivery.key, claim.leaseToken, until),
      clock: deps.clock,
      logger,
      metrics: deps.metrics,
      what: 'The attempt',
      step: () => held?.step ?? 'authorise',
    },
    (heartbeat) => work((held = { ...attempt, heartbeat, step: 'authorise' })),
    (error) => recordFailure(held!, error),
  );
};
