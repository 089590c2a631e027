import type { RecordOutcome } from '../../queue-work/queue-outcomes';
import type { RecordRun } from '../../queue-work/record-run';
import type { ComposeRequest } from '../compose-attempt';
import type { ComposeDeps } from '../compose-deps';
import { composeCalls } from '../combined-first-messages';

/**
 * A slot on the OpenAI key's rate for the request's model calls, before the claim, so that a request
 * put back for a later slot holds no lease (docs/throughput.md). Creating the thread is not a
 * model request: OpenAI's requests-per-minute limits are per model. Undefined: go on now.
 */
export const paceCompose = async (run: RecordRun, deps: ComposeDeps, request: ComposeRequest): Promise<RecordOutcome | undefined> => {
  const { aiLimit } = request;
  if (!aiLimit || !deps.governor.enabled) return undefined;
  try {
    // One unit per model call: one for a combined compose, one per channel when they cannot share it.
    const units = composeCalls(request.contextObject, request.channels);
    const decision = await deps.governor.pace(aiLimit, units, run.record.bookedSlotMs);
    if (decision.go) {
      if (decision.waitedMs > 0) deps.metrics.count('RateLimitWaitMs', decision.waitedMs);
      return undefined;
    }
    run.logger.info('The OpenAI key is at its rate; the request waits for its slot', { delay_seconds: decision.delaySeconds });
    return run.conclude('rate-limited', `waiting for a slot on ${aiLimit.bucket}`, decision.delaySeconds * 1000, decision.slotAtMs);
  } catch (error) {
    run.logger.error("Could not book a slot on the OpenAI key's rate", { error: error as Error });
    return run.conclude('database', 'governor unavailable');
  }
};
