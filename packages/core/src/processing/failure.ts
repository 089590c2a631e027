import { AppError } from '../errors/app-error';
import { FailureClass, FailureStatus, RefusalStatus } from '../conversations/types';
import { ProviderFailure } from '../providers/provider-failure';

/**
 * docs/processing.md's failure table, in one place: which step failed, how (transient/permanent),
 * gives the status recorded on the item and whether the queue message is retried or acknowledged.
 */
export type Step = 'validate' | 'authorise' | 'secrets' | 'ai' | 'send';

const STATUS_BY_STEP: Record<Step, FailureStatus> = {
  validate: 'failed_unknown',
  authorise: 'failed_unknown',
  secrets: 'failed_secrets_fetch',
  ai: 'failed_to_process_ai',
  send: 'failed_to_send_message',
};

export interface FailureDecision {
  status: RefusalStatus;
  failureClass: FailureClass;
  /** retry: leave the message on the queue (→ DLQ after maxReceiveCount); acknowledge: delete it. */
  queue: 'retry' | 'acknowledge';
  reason: string;
}

export const decideFailure = (step: Step, error: unknown): FailureDecision => {
  const appError = error instanceof AppError ? error : undefined;
  // A malformed Context Object or a missing secret is retried (then parked in the DLQ, where an
  // alarm fires and an operator can fix and redrive it); so is anything a retry can fix.
  const failureClass: FailureClass =
    step === 'validate' || step === 'secrets' || appError?.kind !== 'permanent' ? 'transient' : 'permanent';
  return {
    status: (error instanceof ProviderFailure && error.recordAs) || STATUS_BY_STEP[step],
    failureClass,
    queue: failureClass === 'transient' ? 'retry' : 'acknowledge',
    reason: (appError?.message ?? 'Unexpected failure.').slice(0, 500),
  };
};
