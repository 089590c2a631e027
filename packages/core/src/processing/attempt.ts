import type { Logger } from '@aws-lambda-powertools/logger';
import { Heartbeat } from '../heartbeat/heartbeat';
import { ClaimOutcome } from '../messages/delivery-repository';
import { Delivery } from './delivery';
import { Step } from './failure';
import type { ProcessingDeps, QueueRecord } from './process-record';
import { OutcomeCause, RecordOutcome } from './queue-outcomes';

/** Ends a record: the queue outcome and its metrics come from one table (queue-outcomes.ts). */
/** `retryInMs`: when the message may go again (busy, rate-limited); `slotAtMs`: the governor's slot booked for it. */
export type Conclude = (cause: OutcomeCause, reason: string, retryInMs?: number, slotAtMs?: number) => RecordOutcome;

/** One queue record on its way through the pipeline, before and after its claim. */
export interface RecordRun {
  record: QueueRecord;
  /** The record's own child logger: the records of a batch run in parallel in one container. */
  logger: Logger;
  startedAt: Date;
  /** On the queue's last receive a "retry" means the DLQ: recorded where operators look. */
  lastReceive: boolean;
  conclude: Conclude;
}

/** A claimed delivery: this attempt holds the message's lease until it concludes. */
export interface Attempt<Credentials extends Record<string, string>> extends RecordRun {
  deps: ProcessingDeps<Credentials>;
  delivery: Delivery;
  claim: Extract<ClaimOutcome, { outcome: 'claimed' }>;
  heartbeat: Heartbeat;
  /** The step running now: it decides the failure status (failure.ts) and names the deadline's cause. */
  step: Step;
  /** This attempt's send intent (its `at`), once recorded. */
  intentAt?: string;
}
