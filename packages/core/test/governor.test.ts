import { createGovernor, inMemoryBucketStore, openAiLimit, paceFor, reserve, senderLimit, takeNow } from '../src';

/** The governor's pacing against a clock the test moves: what slot each caller gets, not how long anything took. */
const fakeClock = (startMs = Date.parse('2026-12-03T09:00:00Z')) => {
  let nowMs = startMs;
  const slept: number[] = [];
  return {
    clock: { now: () => new Date(nowMs) },
    sleep: async (ms: number) => {
      slept.push(ms);
      nowMs += ms;
    },
    advance: (ms: number) => void (nowMs += ms),
    nowMs: () => nowMs,
    slept,
  };
};

describe('pacing (GCRA)', () => {
  it('spaces bookings one interval apart from an empty bucket, and lets a burst go at once', () => {
    const pace = paceFor(10); // 100 ms apart
    let tat: number | undefined;
    const at: number[] = [];
    for (let i = 0; i < 5; i += 1) {
      const r = reserve(tat, 1000, 1, pace);
      if (!r.booked) throw new Error('not booked');
      at.push(r.atMs);
      tat = r.tatMs;
    }
    expect(at).toEqual([1000, 1100, 1200, 1300, 1400]);

    const burst = paceFor(10, { burstUnits: 3 });
    tat = undefined;
    at.length = 0;
    for (let i = 0; i < 5; i += 1) {
      const r = reserve(tat, 1000, 1, burst);
      if (!r.booked) throw new Error('not booked');
      at.push(r.atMs);
      tat = r.tatMs;
    }
    expect(at).toEqual([1000, 1000, 1000, 1100, 1200]);
  });

  it('books several units as one slot that holds the bucket for all of them', () => {
    const pace = paceFor(10);
    const first = reserve(undefined, 0, 3, pace);
    const next = reserve(first.booked ? first.tatMs : 0, 0, 1, pace);
    expect(first).toEqual({ booked: true, atMs: 0, tatMs: 300 });
    expect(next).toEqual({ booked: true, atMs: 300, tatMs: 400 });
  });

  it('does not book beyond the horizon, and says when to ask again', () => {
    const pace = paceFor(1, { horizonMs: 10_000 });
    expect(reserve(50_000, 0, 1, pace)).toEqual({ booked: false, retryAtMs: 40_000 });
  });

  it('a unit taken now goes ahead of the booked slots and moves the later ones back by its interval', () => {
    const pace = paceFor(10);
    expect(takeNow(undefined, 1000, 1, pace)).toBe(1100); // an empty bucket: as if booked now
    expect(takeNow(5000, 1000, 2, pace)).toBe(5200); // 4 s booked ahead: the TAT moves, the caller does not wait
    expect(takeNow(500, 1000, 1, pace)).toBe(1100); // a TAT in the past counts from now
    // Bounded: taken now, units push the booked slots at most the borrow limit past now.
    expect(takeNow(5000, 1000, 100, pace, 60_000)).toBe(15_000);
    expect(takeNow(59_000, 1000, 100, pace, 60_000)).toBe(61_000); // up to the bound, no further
    expect(takeNow(90_000, 1000, 5, pace, 60_000)).toBe(90_000); // already past it: moves nobody
    const after = reserve(takeNow(5000, 1000, 1, pace), 1000, 1, pace);
    expect(after).toEqual({ booked: true, atMs: 5100, tatMs: 5200 });
  });
});

describe('governor', () => {
  const limit = { bucket: 'openai#key', unitsPerSecond: 10 };

  it('keeps 1,000 callers arriving at once to the limit: slots one interval apart, short waits in the function, later slots put back', async () => {
    const time = fakeClock();
    const buckets = inMemoryBucketStore();
    const slept: number[] = [];
    // Concurrent callers sleep side by side: the clock does not move between their arrivals.
    const governor = createGovernor({
      buckets,
      clock: time.clock,
      sleep: async (ms) => void slept.push(ms),
      config: { enabled: true, maxInlineWaitMs: 500 },
    });
    const start = time.nowMs();
    const decisions = [];
    for (let i = 0; i < 1000; i += 1) decisions.push(await governor.pace(limit, 1));
    // Slots 0, 100 … 500 ms are waited for in the function; the rest go back to the queue with theirs.
    expect(slept).toEqual([100, 200, 300, 400, 500]);
    expect(decisions.slice(0, 6).every((d) => d.go)).toBe(true);
    const putBack = decisions.slice(6).map((d) => (d.go ? undefined : d));
    expect(putBack.every((d) => d !== undefined)).toBe(true);
    putBack.forEach((d, i) => {
      expect(d!.slotAtMs! - start).toBeCloseTo((i + 6) * 100, 6);
      // Whole seconds, rounded down: the copy is back before its slot, never a second after it.
      expect(d!.delaySeconds).toBe(Math.max(1, Math.floor((d!.slotAtMs! - start) / 1000)));
    });
    // 1,000 units at 10/s: the bucket is booked 100 s ahead, never less.
    expect(buckets.tat(limit.bucket)! - start).toBeCloseTo(100_000, 6);
  });

  it('puts a message back for the whole seconds before its slot, and lets its copy wait the rest and go at that slot without booking again', async () => {
    const time = fakeClock();
    const buckets = inMemoryBucketStore();
    const governor = createGovernor({ buckets, clock: time.clock, sleep: time.sleep, config: { enabled: true, maxInlineWaitMs: 0 } });
    await governor.pace(limit, 25); // holds the bucket for 2.5 s
    const slotAtMs = time.nowMs() + 2500;
    const decision = await governor.pace(limit, 1);
    expect(decision).toEqual({ go: false, delaySeconds: 2, slotAtMs });
    const tatBefore = buckets.tat(limit.bucket);
    time.advance(2000); // SQS offers the copy after its DelaySeconds, half a second before its slot
    expect(await governor.pace(limit, 1, slotAtMs)).toEqual({ go: true, waitedMs: 500 });
    expect(time.nowMs()).toBe(slotAtMs);
    expect(buckets.tat(limit.bucket)).toBe(tatBefore);
  });

  it('puts a copy that is back too early (more than a second before its slot) back again, keeping its slot', async () => {
    const time = fakeClock();
    const governor = createGovernor({
      buckets: inMemoryBucketStore(),
      clock: time.clock,
      sleep: time.sleep,
      config: { enabled: true, maxInlineWaitMs: 0 },
    });
    const slotAtMs = time.nowMs() + 4200;
    expect(await governor.pace(limit, 1, slotAtMs)).toEqual({ go: false, delaySeconds: 4, slotAtMs });
  });

  it("holds every caller back until the provider's Retry-After", async () => {
    const time = fakeClock();
    const governor = createGovernor({
      buckets: inMemoryBucketStore(),
      clock: time.clock,
      sleep: time.sleep,
      config: { enabled: true, maxInlineWaitMs: 500 },
    });
    await governor.refused(limit, 20_000);
    expect(await governor.pace(limit, 1)).toEqual({ go: false, delaySeconds: 20, slotAtMs: time.nowMs() + 20_000 });
  });

  it('asks again later, without booking, when the next slot is beyond SQS delays (900 s)', async () => {
    const time = fakeClock();
    const buckets = inMemoryBucketStore();
    const governor = createGovernor({ buckets, clock: time.clock, sleep: time.sleep, config: { enabled: true } });
    await governor.pace({ bucket: 'sms#+15550001111', unitsPerSecond: 1 }, 1000);
    const tat = buckets.tat('sms#+15550001111');
    expect(await governor.pace({ bucket: 'sms#+15550001111', unitsPerSecond: 1 }, 1)).toEqual({ go: false, delaySeconds: 100 });
    expect(buckets.tat('sms#+15550001111')).toBe(tat);
  });

  it('off, lets everything go at once and books nothing', async () => {
    const time = fakeClock();
    const buckets = inMemoryBucketStore();
    const governor = createGovernor({ buckets, clock: time.clock, sleep: time.sleep, config: { enabled: false } });
    for (let i = 0; i < 100; i += 1) expect(await governor.pace(limit, 1)).toEqual({ go: true, waitedMs: 0 });
    await governor.refused(limit, 10_000);
    expect(buckets.tat(limit.bucket)).toBeUndefined();
  });
});

describe('limits from the project configuration', () => {
  it("paces an OpenAI key to the smallest rate its channels state, 500/min when none does; a sender to its channel's rate or Twilio's default", () => {
    expect(
      openAiLimit('ai-multi-comms/openai-api-key/acme', [
        { api_key_reference: 'k', requests_per_minute: 600 },
        { api_key_reference: 'k', requests_per_minute: 900 },
      ]),
    ).toEqual({ bucket: 'openai#ai-multi-comms/openai-api-key/acme', unitsPerSecond: 10 });
    expect(openAiLimit('k', [{ api_key_reference: 'k' }]).unitsPerSecond).toBeCloseTo(500 / 60);
    expect(senderLimit('sms', { sms: { company_sms_number: '+15550001111', sms_credentials_id: 's' } })).toEqual({
      bucket: 'sms#+15550001111',
      unitsPerSecond: 1,
    });
    expect(senderLimit('whatsapp', { whatsapp: { company_whatsapp_number: '+15550001111', whatsapp_credentials_id: 's' } })).toEqual({
      bucket: 'whatsapp#+15550001111',
      unitsPerSecond: 80,
    });
    expect(
      senderLimit('sms', { sms: { company_sms_number: '+15550001111', sms_credentials_id: 's', messages_per_second: 20 } })?.unitsPerSecond,
    ).toBe(20);
    expect(senderLimit('email', { email: { company_email: 'a@example.com', email_credentials_id: 's' } })).toBeUndefined();
    expect(senderLimit('email', { email: { company_email: 'a@example.com', email_credentials_id: 's', messages_per_second: 5 } })).toEqual({
      bucket: 'email#a@example.com',
      unitsPerSecond: 5,
    });
  });
});

it("a burst of replies pushes a key's campaign back a minute at most (REPLY_BORROW_LIMIT_MS)", async () => {
  const buckets = inMemoryBucketStore();
  let now = 1_000_000;
  const governor = createGovernor({ buckets, clock: { now: () => new Date(now) }, config: { enabled: true } });
  const limit = openAiLimit('ai-multi-comms/openai-api-key/x', [
    { api_key_reference: 'ai-multi-comms/openai-api-key/x', requests_per_minute: 60 },
  ]);
  for (let reply = 0; reply < 500; reply += 1) await governor.takeNow(limit, 1); // 500 replies at once: 500 s of the key's time
  expect(buckets.tat(limit.bucket)! - now).toBeLessThanOrEqual(60_000);
  now += 30_000;
  const next = await governor.pace(limit, 1);
  expect(next.go ? 0 : next.delaySeconds).toBeLessThanOrEqual(31);
});
