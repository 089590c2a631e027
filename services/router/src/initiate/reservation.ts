import {
  BeginOutcome,
  canonicalJson,
  Channel,
  ErrorCodes,
  forbidden,
  idempotencyKey,
  sha256Hex,
  StoredResponse,
} from '@ai-multi-comms/core';
import type { InitiateConversationDeps } from '../initiate-conversation';
import type { AdmittedRequest } from './admit-request';

/** What the reservation says of the request: refused (with the error to throw), a repeat of an accepted one, or go. */
export type Verdict = { kind: 'refused'; error: unknown } | { kind: 'repeat'; response: StoredResponse } | { kind: 'go' };

/** The request's hold on its idempotency record and rate-limit count, until it commits or rolls back (Powertools' idempotency lifecycle). */
export interface Reservation {
  verdict: Verdict;
  /** The message is queued: the count stays spent whatever happens next. */
  keepCount(): void;
  /** Record the outcome a repeat of the request returns. */
  commit(response: StoredResponse, now: Date): Promise<void>;
  /** Give back whatever this request still holds, so that a client's retry runs afresh. */
  rollback(): Promise<void>;
}

/**
 * One round trip for three independent things: the recipient's opt-outs (already in flight for
 * named channels), the idempotency record and the rate-limit count. Each is one conditional write
 * or read of its own item; a transaction would make them no more atomic, only slower, and would
 * conflict on the hot counter items (rate-limiter.ts). The verdict takes the refusals in the order
 * docs/api.md gives them: opted out; the idempotency record's answer (another body, still in
 * progress); a repeat's original outcome; the rate limit.
 */
export const reserve = async (admitted: AdmittedRequest, deps: InitiateConversationDeps, receivedAt: Date): Promise<Reservation> => {
  const { request, company, channels } = admitted;
  const { company_id, project_id } = request.company_data;
  const key = idempotencyKey(company_id, project_id, request.request_data.request_id);
  const limits = { perMinute: company.rate_limits?.requests_per_minute, perDay: company.rate_limits?.requests_per_day };
  const scope = `${company_id}#${project_id}`;
  const [optOuts, begun, counted] = await Promise.allSettled([
    admitted.optOutsRead ?? deps.optOuts.optedOutChannels(company_id, request.recipient_data, channels),
    deps.idempotency.begin(key, sha256Hex(canonicalJson(request)), receivedAt),
    deps.rateLimiter.consume(scope, limits, receivedAt),
  ]);
  let holdsRecord = begun.status === 'fulfilled' && begun.value.state === 'started';
  let holdsCount = counted.status === 'fulfilled';
  const rollback = async () => {
    // Both at once: when a dependency hangs, each of these waits out its client timeout too.
    await Promise.all([
      // The in-progress lease expires by itself within seconds; the retry then runs.
      holdsRecord
        ? deps.idempotency
            .release(key)
            .catch((error: unknown) =>
              deps.logger.warn('Could not release the idempotency record after a failure', { error: error as Error }),
            )
        : undefined,
      holdsCount
        ? deps.rateLimiter
            .refund(scope, limits, receivedAt)
            .catch((error: unknown) => deps.logger.warn('Could not refund the rate-limit count after a failure', { error: error as Error }))
        : undefined,
    ]);
    holdsRecord = false;
    holdsCount = false;
  };
  return {
    verdict: verdictOf(optOuts, begun, counted),
    keepCount: () => {
      holdsCount = false;
    },
    commit: (response, now) => deps.idempotency.complete(key, response, now),
    rollback,
  };
};

const verdictOf = (
  optOuts: PromiseSettledResult<Channel[]>,
  begun: PromiseSettledResult<BeginOutcome>,
  counted: PromiseSettledResult<unknown>,
): Verdict => {
  if (optOuts.status === 'rejected') return { kind: 'refused', error: optOuts.reason };
  if (optOuts.value.length > 0)
    return {
      kind: 'refused',
      error: forbidden(
        ErrorCodes.RECIPIENT_OPTED_OUT,
        `The recipient has opted out of messages from this company on ${optOuts.value.join(', ')}; nothing was sent.`,
      ),
    };
  if (begun.status === 'rejected') return { kind: 'refused', error: begun.reason };
  // A repeat is not a new request: it does not count against the limit.
  if (begun.value.state === 'completed') return { kind: 'repeat', response: begun.value.response };
  if (counted.status === 'rejected') return { kind: 'refused', error: counted.reason };
  return { kind: 'go' };
};
