import { AppError } from '../../errors/app-error';
import { LeaseLost } from '../../errors/lease-lost';
import { CHANNEL_DESCRIPTORS } from '../../channels';
import { ErrorCodes } from '../../errors/error-codes';
import { Attempt } from '../attempt';
import { decideFailure } from '../failure';
import { RecordOutcome } from '../../queue-work/queue-outcomes';
import { senderLimit } from '../../governor/limits';
import { AwaitingProvider } from '../awaiting-provider';

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
  const awaiting = error instanceof AwaitingProvider;
  // The provider refused for rate (Twilio 429/20429 after the SDK's own retries, 21611 a full
  // sender queue): nothing was created, so the message waits and goes again; every container
  // holds back until then. With the governor off it is the transient failure it used to be.
  const rateLimited = error instanceof AppError && error.kind === 'rate-limited' && deps.governor.enabled;
  (awaiting ? logger.warn.bind(logger) : logger.error.bind(logger))(
    awaiting ? 'Waiting for the provider to confirm an earlier attempt' : 'Processing failed',
    {
      step,
      failure_class: decision.failureClass,
      failure_reason: decision.reason,
      conversation_status: decision.status,
      error: error as Error,
    },
  );
  try {
    await deps.deliveries.recordFailure(
      attempt.delivery.key,
      attempt.claim.leaseToken,
      {
        status: decision.status,
        reason: decision.reason,
        failureClass: decision.failureClass,
        retriesExhausted: !rateLimited && !awaiting && decision.queue === 'retry' && attempt.lastReceive,
        ...(error instanceof AppError && error.notSent && attempt.intentAt ? { refusedIntentAt: attempt.intentAt } : {}),
      },
      deps.clock.now(),
    );
  } catch (recordError) {
    logger.error('Could not record the failure on the message', { error: recordError as Error });
    return conclude('failure-not-recorded', 'failure not recorded');
  }
  if (decision.status === 'opted_out') await recordProviderOptOut(attempt, decision.reason, error);
  if (awaiting) return conclude('awaiting-provider', decision.reason, error.retryAfterMs);
  if (rateLimited) return conclude('rate-limited', decision.reason, await holdSenderBack(attempt, error));
  return conclude(decision.queue === 'retry' ? 'transient' : 'permanent', decision.reason);
};

/**
 * The provider says the person opted out (Twilio 21610: they replied STOP to this number): record
 * it, so the router refuses the next request and no sender tries again. Best effort: the message
 * is already recorded opted_out, and the provider keeps refusing in the meantime.
 */
const recordProviderOptOut = async <C extends Record<string, string>>(
  attempt: Attempt<C>,
  reason: string,
  error: unknown,
): Promise<void> => {
  const { contextObject, channel } = attempt.delivery;
  const address = contextObject.frontend_payload.recipient_data[CHANNEL_DESCRIPTORS[channel].recipientField];
  if (!address || (error instanceof AppError && error.code === ErrorCodes.RECIPIENT_OPTED_OUT)) return;
  const now = attempt.deps.clock.now();
  const optOut = {
    company_id: contextObject.frontend_payload.company_data.company_id,
    channel,
    address,
    opted_out: true,
    source: `provider:${reason.slice(0, 80)}`,
    event_at: now.toISOString(),
  };
  await attempt.deps.optOuts
    .record(optOut, now)
    .catch((optOutError: unknown) => attempt.logger.error("Could not record the provider's opt-out", { error: optOutError as Error }));
};

/** The provider refused for rate: every container holds back from this sender until then. Returns how long. */
const holdSenderBack = async <C extends Record<string, string>>(attempt: Attempt<C>, error: AppError): Promise<number> => {
  const retryAfterMs = (error.retryAfterSeconds ?? 1) * 1000;
  const { channel, contextObject } = attempt.delivery;
  const limit = senderLimit(channel, contextObject.company_data_payload.channel_config);
  if (limit)
    await attempt.deps.governor
      .refused(limit, retryAfterMs)
      .catch((holdError: unknown) => attempt.logger.error('Could not hold the sender back', { error: holdError as Error }));
  return retryAfterMs;
};
