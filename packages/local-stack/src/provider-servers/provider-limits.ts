/**
 * The providers' limits, as the local OpenAI and Twilio enforce them when told to (tests and
 * `pnpm bench` set small ones; without them the local providers are unlimited, so the rest of the
 * suite runs at full speed). Set with `POST /__limits`, read with `GET /__limits`, cleared with
 * `DELETE /__limits`.
 *
 * OpenAI: requests per minute per key (project), on the model endpoint (`POST /v1/responses`).
 * OpenAI replenishes the allowance continuously, and its rate-limit guide warns that a limit may
 * be enforced over periods shorter than a minute; so the bucket holds only `burst_seconds`
 * worth (default 1 s), the stricter reading. Past it: 429
 * `rate_limit_exceeded` with `retry-after` and the `x-ratelimit-*` headers, which every answer
 * carries.
 *
 * Twilio: each sender (`From`) sends `messages_per_second` and queues the rest, up to
 * `queue_seconds` worth (Twilio: 10 hours'); beyond it, creating a message fails with 21611. A
 * queued message older than its `ValidityPeriod` fails with 30036 instead of going out. More than
 * `concurrency` API requests at once on an account get 429 / 20429; `api_latency_ms` is how long
 * each takes, so that concurrency can arise.
 */
export interface OpenAiLimits {
  /** Every key's limit, unless `keys` names it; neither: unlimited. */
  requests_per_minute?: number;
  keys?: Record<string, number>;
  burst_seconds?: number;
  /** Tokens per minute, reported in the headers only (default 200,000). */
  tokens_per_minute?: number;
}

export interface TwilioLimits {
  /** Every sender's rate, unless `senders` names it. */
  messages_per_second?: number;
  senders?: Record<string, number>;
  /** How many seconds' worth of messages a sender queues before 21611 (default 36,000: ten hours). */
  queue_seconds?: number;
  /** Concurrent API requests per account: every account's, unless `accounts` names it. */
  concurrency?: number;
  accounts?: Record<string, { concurrency?: number; api_latency_ms?: number }>;
  api_latency_ms?: number;
}

export interface ProviderLimits {
  openai?: OpenAiLimits;
  twilio?: TwilioLimits;
}

/** "1s", "120ms", "6m0s": how OpenAI writes a reset time. */
export const openAiDuration = (ms: number): string => {
  if (ms < 1000) return `${Math.max(1, Math.ceil(ms))}ms`;
  const seconds = ms / 1000;
  if (seconds < 60) return `${Number(seconds.toFixed(3))}s`;
  return `${Math.floor(seconds / 60)}m${Number((seconds % 60).toFixed(3))}s`;
};

export interface Admission {
  admitted: boolean;
  limit: number;
  remaining: number;
  /** Until the bucket is full again (admitted) or until one more request fits (refused). */
  resetMs: number;
}

/** Requests per minute per key: a continuously refilled bucket of `burst_seconds` worth. */
export const createRequestBuckets = (now: () => number = Date.now) => {
  const buckets = new Map<string, { tokens: number; atMs: number }>();
  return {
    /** Undefined when the key has no limit. */
    take(key: string, limits: OpenAiLimits): Admission | undefined {
      const perMinute = limits.keys?.[key] ?? limits.requests_per_minute;
      if (!perMinute) return undefined;
      const perMs = perMinute / 60_000;
      const capacity = Math.max(1, (perMinute / 60) * (limits.burst_seconds ?? 1));
      const nowMs = now();
      const bucket = buckets.get(key) ?? { tokens: capacity, atMs: nowMs };
      bucket.tokens = Math.min(capacity, bucket.tokens + (nowMs - bucket.atMs) * perMs);
      bucket.atMs = nowMs;
      buckets.set(key, bucket);
      if (bucket.tokens >= 1) {
        bucket.tokens -= 1;
        return { admitted: true, limit: perMinute, remaining: Math.floor(bucket.tokens), resetMs: (capacity - bucket.tokens) / perMs };
      }
      return { admitted: false, limit: perMinute, remaining: 0, resetMs: (1 - bucket.tokens) / perMs };
    },
    clear: () => buckets.clear(),
  };
};

/** The headers OpenAI puts on every answer of a rate-limited endpoint. */
export const openAiRateHeaders = (admission: Admission, limits: OpenAiLimits): Record<string, string> => ({
  'x-ratelimit-limit-requests': String(admission.limit),
  'x-ratelimit-remaining-requests': String(admission.remaining),
  'x-ratelimit-reset-requests': openAiDuration(admission.resetMs),
  'x-ratelimit-limit-tokens': String(limits.tokens_per_minute ?? 200_000),
  'x-ratelimit-remaining-tokens': String(limits.tokens_per_minute ?? 200_000),
  'x-ratelimit-reset-tokens': '0s',
});
