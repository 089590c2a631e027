import { AppError } from '../../errors/app-error';
import { LeaseLost } from '../../errors/lease-lost';
import { Attempt } from '../attempt';
import { decideFailure } from '../failure';
import { RecordOutcome } from '../queue-outcomes';

/** Any failure after the claim: decided by the failure table, recorded on the message (ending the lease), concluded by the outcome table. */
export const recordFailure = async <C extends Record<string, string>>(attempt: Attempt<C>, error: unknown): Promise<RecordOutcome> => {
  const { logger, conclude, deps, step } = attempt;
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
    await deps.deliveries.recordFailure(
      attempt.delivery.key,
      attempt.claim.leaseToken,
      { status: decision.status, reason: decision.reason, failureClass: decision.failureClass, retriesExhausted: decision.queue === 'retry' && attempt.lastReceive },
      deps.clock.now(),
    );
  } catch (recordError) {
    logger.error('Could not record the failure on the message', { error: recordError as Error });
    return conclude('failure-not-recorded', 'failure not recorded');
  }
  return conclude(decision.queue === 'retry' ? 'transient' : 'permanent', decision.reason);
};
