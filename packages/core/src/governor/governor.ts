import { Clock } from '../util/clock';
import { BucketStore } from './bucket-store';
import { paceFor, REPLY_BORROW_LIMIT_MS } from './pacing';

/**
 * The governor (docs/throughput.md): paces the engine's calls to a provider's limit across every
 * concurrent Lambda. Before a call a record books a slot on the limit's bucket (bucket-store.ts);
 * a slot within `maxInlineWaitMs` is waited for in the function, a later one is kept by putting
 * the queue message back with that delay (in whole seconds, rounded down) (a new message: its receive count starts again, so
 * waiting for a rate never sends anything to the DLQ). The copy carries its slot, and its first
 * receive goes without booking again.
 */
export interface RateLimit {
  /** The bucket's name: `openai#<key secret>`, `twilio#<sender>`… */
  bucket: string;
  unitsPerSecond: number;
  /** How many units may go at once (default 1: evenly spaced). */
  burstUnits?: number;
}

export type PaceDecision =
  /** Go now (after `waitedMs` in the function). */
  | { go: true; waitedMs: number }
  /** Put the message back for `delaySeconds`; `slotAtMs` when a slot is booked for it. */
  | { go: false; delaySeconds: number; slotAtMs?: number };

export interface GovernorConfig {
  enabled: boolean;
  /** Slots up to this far are waited for in the function; later ones put the message back (default 500 ms). */
  maxInlineWaitMs?: number;
}

export interface Governor {
  readonly enabled: boolean;
  /**
   * Before `count` calls under `limit`. `bookedSlotMs`: the slot the record's queue message
   * carries (booked by an earlier receive that put it back); it is used instead of a new one.
   */
  pace(limit: RateLimit, count: number, bookedSlotMs?: number): Promise<PaceDecision>;
  /** The provider refused for rate (Retry-After, a full queue): every caller waits until then. */
  refused(limit: RateLimit, retryAfterMs: number): Promise<void>;
  /**
   * `count` calls that go now, ahead of the booked ones (the answer to a person's reply: they are
   * waiting, and the reply queue is FIFO, where a message cannot be put back with a delay). They
   * count against the rate: everything booked after them goes that much later.
   */
  takeNow(limit: RateLimit, count: number): Promise<void>;
}

/** SQS's largest DelaySeconds. */
export const MAX_DELAY_SECONDS = 900;
/** SQS's DelaySeconds step. */
const SQS_DELAY_STEP_MS = 1000;

export const createGovernor = (deps: {
  buckets: BucketStore;
  clock: Clock;
  sleep?: (ms: number) => Promise<void>;
  config: GovernorConfig;
}): Governor => {
  const { buckets, clock, config } = deps;
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const maxInlineWaitMs = config.maxInlineWaitMs ?? 500;
  const paceOf = (limit: RateLimit) => paceFor(limit.unitsPerSecond, { burstUnits: limit.burstUnits, horizonMs: MAX_DELAY_SECONDS * 1000 });

  // SQS delays are whole seconds. Rounding a slot's delay up would bring every copy whose slot
  // falls within one second back at the same moment, a burst the provider may refuse (the bench
  // saw OpenAI 429s with the governor on); so the copy comes back up to a second early and
  // waits the rest in the function, at its slot.
  const waitFor = async (atMs: number, booked: boolean): Promise<PaceDecision> => {
    const waitMs = Math.max(0, atMs - clock.now().getTime());
    if (waitMs > maxInlineWaitMs + (booked ? SQS_DELAY_STEP_MS : 0))
      return { go: false, delaySeconds: Math.min(MAX_DELAY_SECONDS, Math.max(1, Math.floor(waitMs / SQS_DELAY_STEP_MS))), slotAtMs: atMs };
    if (waitMs > 0) await sleep(waitMs);
    return { go: true, waitedMs: waitMs };
  };

  return {
    enabled: config.enabled,
    async pace(limit, count, bookedSlotMs) {
      if (!config.enabled) return { go: true, waitedMs: 0 };
      if (bookedSlotMs !== undefined) return waitFor(bookedSlotMs, true);
      const nowMs = clock.now().getTime();
      const reservation = await buckets.reserve(limit.bucket, count, paceOf(limit), nowMs);
      if (!reservation.booked)
        return { go: false, delaySeconds: Math.min(MAX_DELAY_SECONDS, Math.ceil((reservation.retryAtMs - nowMs) / 1000)) };
      return waitFor(reservation.atMs, false);
    },
    async refused(limit, retryAfterMs) {
      if (!config.enabled) return;
      await buckets.holdUntil(limit.bucket, clock.now().getTime() + retryAfterMs, paceOf(limit));
    },
    async takeNow(limit, count) {
      if (!config.enabled) return;
      await buckets.takeNow(limit.bucket, count, paceOf(limit), clock.now().getTime(), REPLY_BORROW_LIMIT_MS);
    },
  };
};
