import { senderLimit } from '../../governor/limits';
import type { RecordRun } from '../../queue-work/record-run';
import { Delivery } from '../delivery';
import type { ProcessingDeps } from '../processing-deps';
import { RecordOutcome } from '../../queue-work/queue-outcomes';

/**
 * Before the claim: a slot on the sender's rate (docs/throughput.md). Booked before the claim so
 * that a message put back for a later slot holds no lease; a duplicate that books a slot and then
 * finds its message done wastes one slot, never a send. Undefined: go on now.
 */
export const paceSend = async <C extends Record<string, string>>(
  run: RecordRun,
  deps: ProcessingDeps<C>,
  delivery: Delivery,
): Promise<RecordOutcome | undefined> => {
  const limit = senderLimit(delivery.channel, delivery.contextObject.company_data_payload.channel_config);
  if (!limit || !deps.governor.enabled) return undefined;
  const { contextObject, ai, reply } = delivery;
  const units = deps.channel.sendUnits?.(deps.channel.contentToSend({ contextObject, ai, reply, now: deps.clock.now() })) ?? 1;
  try {
    const decision = await deps.governor.pace(limit, units, run.record.bookedSlotMs);
    if (decision.go) {
      if (decision.waitedMs > 0) deps.metrics.count('RateLimitWaitMs', decision.waitedMs);
      return undefined;
    }
    run.logger.info('The sender is at its rate; the message waits for its slot', {
      sender_bucket: limit.bucket,
      delay_seconds: decision.delaySeconds,
    });
    return run.conclude('rate-limited', `waiting for a slot on ${limit.bucket}`, decision.delaySeconds * 1000, decision.slotAtMs);
  } catch (error) {
    run.logger.error("Could not book a slot on the sender's rate", { error: error as Error });
    return run.conclude('database', 'governor unavailable');
  }
};
