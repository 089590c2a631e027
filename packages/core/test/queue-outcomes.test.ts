import { decideOutcome, OutcomeCause, QUEUE_OUTCOMES } from '../src';

/** The one table of queue outcomes (processing/queue-outcomes.ts), row by row. */
const config = { retryBackoffBaseSeconds: 30, retryBackoffMaxSeconds: 900, maxReceiveCount: 3 };

describe('queue outcomes', () => {
  it.each<[OutcomeCause, 'acknowledge' | 'retry' | 'requeue', string[]]>([
    ['sent', 'acknowledge', ['MessagesSent']],
    ['reconciled', 'acknowledge', ['Reconciled']],
    ['published', 'acknowledge', ['RequestsComposed']],
    ['duplicate', 'acknowledge', ['DuplicateDeliveries']],
    ['permanent', 'acknowledge', ['FailuresPermanent']],
    ['post-send-update-failed', 'acknowledge', ['MessagesSent', 'PostSendUpdateFailures']],
    ['malformed', 'retry', ['FailuresMalformed']],
    ['transient', 'retry', ['FailuresTransient']],
    ['database', 'retry', ['FailuresTransient']],
    ['lease-lost', 'retry', []],
    ['failure-not-recorded', 'retry', []],
    ['claim-failed', 'retry', []],
    ['heartbeat', 'retry', []],
    ['rate-limited', 'requeue', ['RateLimitDeferrals']],
    ['awaiting-provider', 'requeue', ['AwaitingProviderConfirmation']],
  ])('%s → %s, counting %j', (cause, queue, metrics) => {
    const decided = decideOutcome(cause, { reason: 'r', receiveCount: 1 }, config);
    expect(decided.outcome.outcome).toBe(queue);
    expect(decided.metrics).toEqual(metrics);
    expect(decided.retriesExhausted).toBe(false);
  });

  it('every cause has a row', () => {
    expect(Object.keys(QUEUE_OUTCOMES).sort()).toEqual(
      [
        'answered',
        'awaiting-provider',
        'busy',
        'claim-failed',
        'database',
        'duplicate',
        'endpoint-refused',
        'event-delivered',
        'event-without-endpoint',
        'failure-not-recorded',
        'heartbeat',
        'held',
        'lease-lost',
        'malformed',
        'permanent',
        'post-send-update-failed',
        'published',
        'rate-limited',
        'reconciled',
        'sent',
        'transient',
      ].sort(),
    );
  });

  it('a retry backs off exponentially, capped', () => {
    expect(decideOutcome('transient', { reason: 'r', receiveCount: 1 }, config).outcome).toEqual({
      outcome: 'retry',
      reason: 'r',
      delaySeconds: 30,
    });
    expect(decideOutcome('transient', { reason: 'r', receiveCount: 2 }, config).outcome).toEqual({
      outcome: 'retry',
      reason: 'r',
      delaySeconds: 60,
    });
    expect(decideOutcome('transient', { reason: 'r', receiveCount: 9 }, { ...config, maxReceiveCount: 10 }).outcome).toEqual({
      outcome: 'retry',
      reason: 'r',
      delaySeconds: 900,
    });
  });

  it("busy comes back just after the other attempt's lease", () => {
    expect(decideOutcome('busy', { reason: 'busy', receiveCount: 1, retryInMs: 4200 }, config).outcome).toEqual({
      outcome: 'retry',
      reason: 'busy',
      delaySeconds: 6,
    });
  });

  it('a rate limit puts a copy back until its slot, even on the last receive: never the DLQ', () => {
    const decided = decideOutcome(
      'rate-limited',
      { reason: 'slot later', receiveCount: 3, retryInMs: 2500, slotAtMs: 1_000_002_500 },
      config,
    );
    expect(decided).toEqual({
      outcome: { outcome: 'requeue', reason: 'slot later', delaySeconds: 3, slotAtMs: 1_000_002_500 },
      metrics: ['RateLimitDeferrals'],
      retriesExhausted: false,
    });
    // SQS delays a message at most 900 s; at least 1 s, so a copy never comes straight back.
    expect(decideOutcome('rate-limited', { reason: 'r', receiveCount: 1, retryInMs: 3_600_000 }, config).outcome).toEqual({
      outcome: 'requeue',
      reason: 'r',
      delaySeconds: 900,
    });
    expect(decideOutcome('rate-limited', { reason: 'r', receiveCount: 1, retryInMs: 0 }, config).outcome).toEqual({
      outcome: 'requeue',
      reason: 'r',
      delaySeconds: 1,
    });
  });

  it('a retry on the last receive is the DLQ: retries exhausted, counted', () => {
    const decided = decideOutcome('transient', { reason: 'r', receiveCount: 3 }, config);
    expect(decided.retriesExhausted).toBe(true);
    expect(decided.metrics).toEqual(['FailuresTransient', 'RetriesExhausted']);
    expect(decideOutcome('sent', { reason: 'sent', receiveCount: 3 }, config).retriesExhausted).toBe(false);
  });
});
