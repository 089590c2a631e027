/**
 * The pacing rule of the governor, as plain arithmetic: GCRA (the generic cell rate algorithm,
 * ITU-T I.371), the token bucket written as one number. A bucket is its *theoretical arrival
 * time* (TAT): the moment at which it would be empty again if nothing more came. Taking `count`
 * units at `intervalMs` each moves the TAT `count × intervalMs` later; a caller may go as soon as
 * the TAT is no more than `burstMs` ahead of the clock.
 *
 * A reservation does not wait for its turn: it books the next free slot, however far, and says
 * when it is. The caller then sleeps until it (a short wait) or puts its queue message back with
 * that delay (a long one), so that every Lambda of every container takes slots in one order
 * without polling. A slot further than `horizonMs` (SQS's largest delay) is not booked: the caller
 * comes back later and books then, so the bucket never holds work it cannot schedule.
 */
export interface Pace {
  /** Time per unit: 1000 / (units per second). */
  intervalMs: number;
  /** How far ahead of the clock the bucket may run before callers wait: the burst the limit tolerates. */
  burstMs: number;
  /** The furthest slot a reservation may book (SQS DelaySeconds is at most 900 s). */
  horizonMs: number;
}

export type Reservation =
  /** Booked: go at `atMs` (now or later); the bucket's TAT becomes `tatMs`. */
  | { booked: true; atMs: number; tatMs: number }
  /** Not booked: the next slot is beyond the horizon; ask again at `retryAtMs`. */
  | { booked: false; retryAtMs: number };

export const paceFor = (unitsPerSecond: number, options: { burstUnits?: number; horizonMs?: number } = {}): Pace => {
  const intervalMs = 1000 / unitsPerSecond;
  return { intervalMs, burstMs: intervalMs * Math.max(0, (options.burstUnits ?? 1) - 1), horizonMs: options.horizonMs ?? 900_000 };
};

/** Book `count` units on a bucket whose TAT is `tatMs` (undefined: never used, i.e. full). */
export const reserve = (tatMs: number | undefined, nowMs: number, count: number, pace: Pace): Reservation => {
  const tat = Math.max(tatMs ?? nowMs, nowMs);
  const atMs = Math.max(nowMs, tat - pace.burstMs);
  if (atMs - nowMs > pace.horizonMs) return { booked: false, retryAtMs: atMs - pace.horizonMs };
  return { booked: true, atMs, tatMs: tat + count * pace.intervalMs };
};

/** The provider said "not before `untilMs`" (Retry-After, a full queue): nobody takes a slot before then. */
export const holdUntil = (tatMs: number | undefined, untilMs: number, pace: Pace): number => Math.max(tatMs ?? 0, untilMs + pace.burstMs);

/**
 * Take `count` units now, ahead of the slots already booked (a person is waiting for this call):
 * the caller goes at once and the TAT moves `count × intervalMs` later, so whatever books after
 * it goes that much later and the rate over the window still holds. Only the slots booked before
 * it overlap it, by its own units at most: the burst a provider's per-minute limit absorbs.
 */
export const takeNow = (tatMs: number | undefined, nowMs: number, count: number, pace: Pace, borrowLimitMs = Infinity): number => {
  const from = Math.max(tatMs ?? nowMs, nowMs);
  // Bounded: units taken now push the booked slots at most `borrowLimitMs` past now. Beyond it
  // the caller still goes (OpenAI's own limit stands behind it), but moves nobody further back.
  return Math.max(from, Math.min(from + count * pace.intervalMs, nowMs + borrowLimitMs));
};

/**
 * How far replies may push a key's booked first messages back: a minute of the key's time. A
 * person who wrote is answered at once; a burst of replies (bounded per conversation by the
 * answer budget) cannot hold a campaign back more than this.
 */
export const REPLY_BORROW_LIMIT_MS = 60_000;
