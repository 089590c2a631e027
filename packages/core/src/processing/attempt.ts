import { Heartbeat } from '../heartbeat/heartbeat';
import { ClaimOutcome } from '../messages/delivery-repository';
import type { RecordRun } from '../queue-work/record-run';
import { Delivery } from './delivery';
import { Step } from './failure';
import type { ProcessingDeps } from './processing-deps';

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
