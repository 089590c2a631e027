import { AppError } from '../../errors/app-error';
import { LeaseLost } from '../../errors/lease-lost';
import type { RecordOutcome } from '../../queue-work/queue-outcomes';
import type { ComposeAttempt } from '../compose-attempt';

/**
 * Any failure after the claim: recorded on the thread item (ending the lease), concluded by the
 * outcome table. Permanent only when the failure is and it is not a missing secret (an operator
 * can add it, then redrive). OpenAI refusing for rate (after the SDK's own retry) puts the
 * request back for as long as OpenAI says, and every container holds back with it; with the
 * governor off it is the transient failure it used to be.
 */
export const recordComposeFailure = async (attempt: ComposeAttempt, error: unknown): Promise<RecordOutcome> => {
  const { deps, request, logger, conclude, step } = attempt;
  if (error instanceof LeaseLost) return conclude('lease-lost', 'lease lost');
  const appError = error instanceof AppError ? error : undefined;
  const failureClass = appError?.kind === 'permanent' && step !== 'secrets' ? 'permanent' : 'transient';
  const reason = (appError?.message ?? 'Unexpected failure.').slice(0, 500);
  const rateLimited = appError?.kind === 'rate-limited' && deps.governor.enabled;
  logger.error('Compose failed', { step, failure_class: failureClass, failure_reason: reason, error: error as Error });
  try {
    await deps.threads.recordFailure(request.threadKey, attempt.leaseToken, { reason, failureClass }, deps.clock.now());
  } catch (recordError) {
    logger.error('Could not record the failure on the thread', { error: recordError as Error });
    return conclude('failure-not-recorded', 'failure not recorded');
  }
  if (rateLimited) {
    const retryAfterMs = (appError.retryAfterSeconds ?? 1) * 1000;
    if (request.aiLimit)
      await deps.governor
        .refused(request.aiLimit, retryAfterMs)
        .catch((holdError: unknown) => logger.error('Could not hold the OpenAI key back', { error: holdError as Error }));
    return conclude('rate-limited', reason, retryAfterMs);
  }
  return conclude(failureClass, reason);
};
