import type { RecordOutcome } from '../../queue-work/queue-outcomes';
import type { RecordRun } from '../../queue-work/record-run';
import type { ComposeRequest } from '../compose-attempt';
import type { ComposeDeps } from '../compose-deps';

/**
 * A slot on the OpenAI key's rate for the request's turns, before the claim, so that a request
 * put back for a later slot holds no lease (docs/throughput.md). Creating the thread is not a
 * model request: OpenAI's requests-per-minute limits are per model. Undefined: go on now.
 */
export const paceCompose = async (run: RecordRun, deps: ComposeDeps, request: ComposeRequest): Promise<RecordOutcome | undefined> => {
  const { aiLimit } = request;
  if (!aiLimit || !deps.governor.enabled) return undefined;
  try {
    const decision = await deps.governor.pace(aiLimit, request.channels.length, run.record.bookedSlotMs);
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
