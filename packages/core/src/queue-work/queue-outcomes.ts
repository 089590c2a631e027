/**
 * Every way a queue record can end, and what that means for the queue, decided in one table as
 * `errors/http.ts` decides HTTP answers. The pipelines (a sender's `processRecord`, the compose
 * step's `composeRecord`) say *why* a record ended; this table says whether SQS deletes the
 * message (acknowledge), offers it again after how long (retry), or puts a fresh copy back with a
 * delay (requeue), and what is counted. On the queue's last receive a retry means the dead-letter
 * queue: `retriesExhausted` says so, so the caller can record it where operators look. A requeue
 * is a new message whose receive count starts again: waiting for a provider's rate (the
 * governor, docs/throughput.md) never spends a receive, so it never sends a message to the DLQ.
 */
export type OutcomeCause =
  | 'sent' // the provider has the message and the item says so
  | 'reconciled' // an earlier attempt's message, found at the provider and recorded
  | 'published' // (compose) every channel's part written and fanned out
  | 'answered' // (replies) the AI's answer written and handed to the channel's sender
  | 'held' // (replies) stored on the conversation, deliberately not answered (opt-out keyword, hand-off, inactive project)
  | 'duplicate' // already done: a redelivery
  | 'permanent' // a failure a retry cannot fix, recorded on the item
  | 'post-send-update-failed' // sent, but the item could not be updated: CRITICAL logged, never re-sent
  | 'busy' // another attempt holds the lease
  | 'malformed' // the message itself is broken: retried, then parked for an operator
  | 'transient' // a failure a retry may fix, recorded on the item
  | 'lease-lost' // another attempt took the item over
  | 'database' // the item could not be read or written
  | 'failure-not-recorded' // the failure could not be recorded on the item
  | 'claim-failed' // the item could not be claimed
  | 'heartbeat' // the heartbeat failed before the send
  | 'rate-limited' // the governor's next slot is later, or the provider refused for rate: put back until then
  | 'awaiting-provider' // an earlier attempt may have sent and the provider cannot say yet: put back until it can
  | 'event-delivered' // (client events) the client's endpoint took the event (2xx)
  | 'event-without-endpoint' // (client events) the project has no endpoint: nothing to deliver
  | 'endpoint-refused'; // (client events) the endpoint failed or answered other than 2xx: again later, then the DLQ

export type RecordOutcome =
  | { outcome: 'acknowledge'; reason: string }
  | { outcome: 'retry'; reason: string; delaySeconds: number }
  /** Send a copy of the message with this delay (its slot, when one is booked for it), then delete this one. */
  | { outcome: 'requeue'; reason: string; delaySeconds: number; slotAtMs?: number };

interface OutcomeRule {
  queue: 'acknowledge' | 'retry' | 'requeue';
  /** backoff: base × 2^(receives − 1); after-lease: once the other attempt's lease is over. */
  delay?: 'backoff' | 'after-lease';
  /** Metrics counted once for this outcome. */
  metrics: string[];
}

export const QUEUE_OUTCOMES: Readonly<Record<OutcomeCause, OutcomeRule>> = {
  sent: { queue: 'acknowledge', metrics: ['MessagesSent'] },
  reconciled: { queue: 'acknowledge', metrics: ['Reconciled'] },
  published: { queue: 'acknowledge', metrics: ['RequestsComposed'] },
  answered: { queue: 'acknowledge', metrics: ['RepliesAnswered'] },
  held: { queue: 'acknowledge', metrics: ['RepliesHeld'] },
  duplicate: { queue: 'acknowledge', metrics: ['DuplicateDeliveries'] },
  permanent: { queue: 'acknowledge', metrics: ['FailuresPermanent'] },
  'post-send-update-failed': { queue: 'acknowledge', metrics: ['MessagesSent', 'PostSendUpdateFailures'] },
  busy: { queue: 'retry', delay: 'after-lease', metrics: [] },
  malformed: { queue: 'retry', delay: 'backoff', metrics: ['FailuresMalformed'] },
  transient: { queue: 'retry', delay: 'backoff', metrics: ['FailuresTransient'] },
  'lease-lost': { queue: 'retry', delay: 'backoff', metrics: [] },
  database: { queue: 'retry', delay: 'backoff', metrics: ['FailuresTransient'] },
  'failure-not-recorded': { queue: 'retry', delay: 'backoff', metrics: [] },
  'claim-failed': { queue: 'retry', delay: 'backoff', metrics: [] },
  heartbeat: { queue: 'retry', delay: 'backoff', metrics: [] },
  'rate-limited': { queue: 'requeue', metrics: ['RateLimitDeferrals'] },
  'awaiting-provider': { queue: 'requeue', metrics: ['AwaitingProviderConfirmation'] },
  'event-delivered': { queue: 'acknowledge', metrics: ['ClientEventsDelivered'] },
  'event-without-endpoint': { queue: 'acknowledge', metrics: ['ClientEventsWithoutEndpoint'] },
  'endpoint-refused': { queue: 'retry', delay: 'backoff', metrics: ['ClientEventsRefused'] },
};

/** SQS's largest DelaySeconds. */
export const MAX_QUEUE_DELAY_SECONDS = 900;

export interface OutcomeConfig {
  retryBackoffBaseSeconds: number;
  retryBackoffMaxSeconds: number;
  maxReceiveCount?: number;
}

export interface Decided {
  outcome: RecordOutcome;
  metrics: string[];
  /** A retry on the queue's last receive: the message goes to the DLQ next. */
  retriesExhausted: boolean;
}

export const decideOutcome = (
  cause: OutcomeCause,
  context: { reason: string; receiveCount: number; retryInMs?: number; slotAtMs?: number },
  config: OutcomeConfig,
): Decided => {
  const rule = QUEUE_OUTCOMES[cause];
  if (rule.queue === 'acknowledge')
    return { outcome: { outcome: 'acknowledge', reason: context.reason }, metrics: rule.metrics, retriesExhausted: false };
  if (rule.queue === 'requeue') {
    const delaySeconds = Math.min(MAX_QUEUE_DELAY_SECONDS, Math.max(1, Math.ceil((context.retryInMs ?? 1000) / 1000)));
    return {
      outcome: {
        outcome: 'requeue',
        reason: context.reason,
        delaySeconds,
        ...(context.slotAtMs !== undefined ? { slotAtMs: context.slotAtMs } : {}),
      },
      metrics: rule.metrics,
      retriesExhausted: false,
    };
  }
  const delaySeconds =
    rule.delay === 'after-lease' && context.retryInMs !== undefined
      ? Math.min(config.retryBackoffMaxSeconds, Math.ceil(context.retryInMs / 1000) + 1)
      : Math.min(config.retryBackoffMaxSeconds, config.retryBackoffBaseSeconds * 2 ** Math.max(0, context.receiveCount - 1));
  const retriesExhausted = config.maxReceiveCount !== undefined && context.receiveCount >= config.maxReceiveCount;
  return {
    outcome: { outcome: 'retry', reason: context.reason, delaySeconds },
    metrics: retriesExhausted ? [...rule.metrics, 'RetriesExhausted'] : rule.metrics,
    retriesExhausted,
  };
};
