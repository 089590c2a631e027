import { ProviderResponse } from './http-kit';
import { openAiError } from './openai-routes';

/**
 * The providers' limits, as the local OpenAI and Twilio enforce them when told to (tests and
 * `pnpm bench` set small ones; without them the local providers are unlimited, so the rest of the
 * suite runs at full speed). Set with `POST /__limits`, read with `GET /__limits`, cleared with
 * `DELETE /__limits`.
 *
 * OpenAI, per key (project), on the model endpoint (`POST /v1/responses`):
 * - requests per minute. OpenAI replenishes the allowance continuously, and its rate-limit guide
 *   warns that a limit may be enforced over periods shorter than a minute; so the bucket holds
 *   only `burst_seconds` worth (default 1 s), the stricter reading. Past it: 429
 *   `rate_limit_exceeded` (type `requests`) with `retry-after`.
 * - tokens per minute. A request counts its estimated input plus its `max_output_tokens` (or
 *   `default_output_tokens`) when it arrives; the count drains continuously at the limit's rate
 *   and may reach a whole minute's worth. This reproduces OpenAI's published refusals exactly
 *   ("Limit 30000, Used 29937, Requested 385. Please try again in 644ms": 322 tokens over, at 500
 *   a second). Past it: 429 `rate_limit_exceeded`, type `tokens`, OpenAI's TPM sentence and NO
 *   `retry-after` (OpenAI may omit it; the SDK then backs off by itself, 0.5 s, 1 s, … with
 *   jitter, and a caller must read `x-ratelimit-reset-tokens`). A request larger than the limit
 *   itself is refused as "Request too large": no wait makes it fit.
 * Every answer of the endpoint carries the whole `x-ratelimit-*` set, requests and tokens (a
 * limit not set is reported at a nominal value and not enforced). `x-ratelimit-reset-*` is, as
 * OpenAI documents it, the time until the limit is back to its initial state (the bucket full).
 *
 * Twilio: each sender (`From`) sends `messages_per_second` and queues the rest, up to
 * `queue_seconds` worth (Twilio: 10 hours'); beyond it, creating a message fails with 21611. A
 * queued message older than its `ValidityPeriod` fails with 30036 instead of going out. More than
 * `concurrency` API requests at once on an account get 429 / 20429; `api_latency_ms` is how long
 * each takes, so that concurrency can arise.
 */
export interface OpenAiKeyLimits {
  requests_per_minute?: number;
  tokens_per_minute?: number;
}

export interface OpenAiLimits {
  /** Every key's limit, unless `keys` names it; neither: unlimited. */
  requests_per_minute?: number;
  /** Every key's tokens per minute, unless `keys` names it; neither: unlimited. */
  tokens_per_minute?: number;
  /** Per key: a number is its requests per minute; an object may set either limit. */
  keys?: Record<string, number | OpenAiKeyLimits>;
  burst_seconds?: number;
  /** What a request without `max_output_tokens` counts for its output (default 1,000). */
  default_output_tokens?: number;
}

export const DEFAULT_OUTPUT_TOKENS = 1000;
/** What the headers report for a limit that is not set (and so not enforced). */
const NOMINAL_REQUESTS_PER_MINUTE = 10_000;
const NOMINAL_TOKENS_PER_MINUTE = 10_000_000;

const keyLimits = (key: string, limits: OpenAiLimits): OpenAiKeyLimits => {
  const named = limits.keys?.[key];
  return typeof named === 'number' ? { requests_per_minute: named } : (named ?? {});
};
export const requestsPerMinuteOf = (key: string, limits: OpenAiLimits): number | undefined =>
  keyLimits(key, limits).requests_per_minute ?? limits.requests_per_minute;
export const tokensPerMinuteOf = (key: string, limits: OpenAiLimits): number | undefined =>
  keyLimits(key, limits).tokens_per_minute ?? limits.tokens_per_minute;

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
    take(key: string, limits: OpenAiLimits, consume = true): Admission | undefined {
      const perMinute = requestsPerMinuteOf(key, limits);
      if (!perMinute) return undefined;
      const perMs = perMinute / 60_000;
      const capacity = Math.max(1, (perMinute / 60) * (limits.burst_seconds ?? 1));
      const nowMs = now();
      const bucket = buckets.get(key) ?? { tokens: capacity, atMs: nowMs };
      bucket.tokens = Math.min(capacity, bucket.tokens + (nowMs - bucket.atMs) * perMs);
      bucket.atMs = nowMs;
      buckets.set(key, bucket);
      if (!consume)
        return {
          admitted: bucket.tokens >= 1,
          limit: perMinute,
          remaining: Math.floor(bucket.tokens),
          resetMs: (capacity - bucket.tokens) / perMs,
        };
      if (bucket.tokens >= 1) {
        bucket.tokens -= 1;
        return { admitted: true, limit: perMinute, remaining: Math.floor(bucket.tokens), resetMs: (capacity - bucket.tokens) / perMs };
      }
      return { admitted: false, limit: perMinute, remaining: 0, resetMs: (1 - bucket.tokens) / perMs };
    },
    /** The bucket as it stands, nothing taken (for the headers of a request another limit refused). */
    peek(key: string, limits: OpenAiLimits): Admission | undefined {
      return this.take(key, limits, false);
    },
    clear: () => buckets.clear(),
  };
};

export interface TokenAdmission {
  admitted: boolean;
  /** Larger than the limit itself: it never fits. */
  tooLarge: boolean;
  limit: number;
  /** Counted in the last minute (before this request), as OpenAI's sentence says "Used". */
  used: number;
  requested: number;
  /** Until the count is back to nothing, with this request if admitted. */
  resetMs: number;
  /** Refused: until this request would fit ("Please try again in …"). */
  tryAgainMs: number;
  /** Count the request (only once every limit admitted it). */
  commit(): void;
}

/** Tokens per minute per key: a count that drains continuously at the limit's rate, up to a minute's worth. */
export const createTokenBuckets = (now: () => number = Date.now) => {
  const counts = new Map<string, { used: number; atMs: number }>();
  return {
    check(key: string, perMinute: number, requested: number): TokenAdmission {
      const perMs = perMinute / 60_000;
      const nowMs = now();
      const count = counts.get(key) ?? { used: 0, atMs: nowMs };
      count.used = Math.max(0, count.used - (nowMs - count.atMs) * perMs);
      count.atMs = nowMs;
      counts.set(key, count);
      const used = Math.ceil(count.used);
      const tooLarge = requested > perMinute;
      const admitted = !tooLarge && count.used + requested <= perMinute;
      return {
        admitted,
        tooLarge,
        limit: perMinute,
        used,
        requested,
        resetMs: (count.used + (admitted ? requested : 0)) / perMs,
        tryAgainMs: admitted ? 0 : (count.used + requested - perMinute) / perMs,
        commit: () => void (count.used += requested),
      };
    },
    clear: () => counts.clear(),
  };
};

/** The headers OpenAI puts on every answer of a rate-limited endpoint: requests and tokens, whichever is limited. */
export const openAiRateHeaders = (requests: Admission | undefined, tokens: TokenAdmission | undefined): Record<string, string> => ({
  'x-ratelimit-limit-requests': String(requests?.limit ?? NOMINAL_REQUESTS_PER_MINUTE),
  'x-ratelimit-remaining-requests': String(requests?.remaining ?? NOMINAL_REQUESTS_PER_MINUTE),
  'x-ratelimit-reset-requests': requests ? openAiDuration(requests.resetMs) : '0s',
  'x-ratelimit-limit-tokens': String(tokens?.limit ?? NOMINAL_TOKENS_PER_MINUTE),
  'x-ratelimit-remaining-tokens': String(
    tokens ? Math.max(0, Math.floor(tokens.limit - tokens.used - (tokens.admitted ? tokens.requested : 0))) : NOMINAL_TOKENS_PER_MINUTE,
  ),
  'x-ratelimit-reset-tokens': tokens && tokens.resetMs > 0 ? openAiDuration(tokens.resetMs) : '0s',
});

const RATE_LIMITS_URL = 'Visit https://platform.openai.com/account/rate-limits to learn more.';

/**
 * OpenAI's limits on `POST /v1/responses` for one request: tokens first, then requests (a request
 * refused for one limit is counted against neither). The refusal to answer, if any, and the
 * headers for the answer otherwise.
 */
export const createOpenAiLimiter = (now: () => number = Date.now) => {
  const requestBuckets = createRequestBuckets(now);
  const tokenBuckets = createTokenBuckets(now);
  return {
    admit(
      key: string,
      limits: OpenAiLimits | undefined,
      model: string,
      requestedTokens: (defaultOutputTokens: number) => number,
    ): { refusal?: ProviderResponse; headers: Record<string, string> } {
      const tokensPerMinute = limits ? tokensPerMinuteOf(key, limits) : undefined;
      const tokens = tokensPerMinute
        ? tokenBuckets.check(key, tokensPerMinute, requestedTokens(limits?.default_output_tokens ?? DEFAULT_OUTPUT_TOKENS))
        : undefined;
      if (tokens && !tokens.admitted) {
        const sentence = tokens.tooLarge
          ? `Request too large for ${model} in organization org-local on tokens per min (TPM): Limit ${tokens.limit}, Requested ${tokens.requested}. The input or output tokens must be reduced in order to run successfully. ${RATE_LIMITS_URL}`
          : `Rate limit reached for ${model} in organization org-local on tokens per min (TPM): Limit ${tokens.limit}, Used ${tokens.used}, Requested ${tokens.requested}. Please try again in ${openAiDuration(tokens.tryAgainMs)}. ${RATE_LIMITS_URL}`;
        // No retry-after: OpenAI may leave it out of a TPM refusal, so the local one always does.
        const headers = openAiRateHeaders(limits ? requestBuckets.peek(key, limits) : undefined, tokens);
        return { refusal: { ...openAiError(429, sentence, 'rate_limit_exceeded', null, 'tokens'), headers }, headers };
      }
      const requests = limits ? requestBuckets.take(key, limits) : undefined;
      if (requests && !requests.admitted) {
        const headers = openAiRateHeaders(requests, tokens);
        const sentence = `Rate limit reached for ${model} in organization org-local on requests per min (RPM): Limit ${requests.limit}, Used ${requests.limit}, Requested 1. Please try again in ${openAiDuration(requests.resetMs)}. ${RATE_LIMITS_URL}`;
        return {
          refusal: {
            ...openAiError(429, sentence, 'rate_limit_exceeded', null, 'requests'),
            headers: { ...headers, 'retry-after': String(Math.max(1, Math.ceil(requests.resetMs / 1000))) },
          },
          headers,
        };
      }
      tokens?.commit();
      return { headers: openAiRateHeaders(requests, tokens) };
    },
    clear: () => {
      requestBuckets.clear();
      tokenBuckets.clear();
    },
  };
};
