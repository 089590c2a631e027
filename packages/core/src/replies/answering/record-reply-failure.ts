import { AppError } from '../../errors/app-error';
import type { RecordOutcome } from '../../queue-work/queue-outcomes';
import type { ReplyRun } from './reply-attempt';

/**
 * Any failure of the reply step: a transient one is retried (the FIFO group waits behind it); a
 * permanent one is recorded on the inbound message and, visible where clients and operators look
 * (GET /conversations), on its conversation.
 */
export const recordReplyFailure = async (run: ReplyRun, error: unknown): Promise<RecordOutcome> => {
  const { deps, inbound, logger, conclude, step } = run;
  const appError = error instanceof AppError ? error : undefined;
  const permanentFailure = appError?.kind === 'permanent';
  logger.error('Reply step failed', {
    step,
    failure_class: permanentFailure ? 'permanent' : 'transient',
    failure_reason: appError?.message ?? 'Unexpected failure.',
    error: error as Error,
  });
  if (!permanentFailure || !inbound) return conclude('transient', appError?.message ?? 'unexpected');
  try {
    await deps.inbound.finish(inbound.inbound_id, 'failed', deps.clock.now(), appError.message.slice(0, 500));
    if (inbound.conversation)
      await deps.updates.setStatus(
        inbound.conversation,
        'failed_to_process_ai',
        deps.clock.now(),
        `The reply was not answered: ${appError.message}`.slice(0, 500),
      );
  } catch {
    return conclude('failure-not-recorded', 'failure not recorded');
  }
  return conclude('permanent', appError.message);
};
