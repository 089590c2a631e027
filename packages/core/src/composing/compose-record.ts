import { beginRecordRun } from '../queue-work/record-run';
import { holdLease } from '../queue-work/lease';
import type { RecordOutcome } from '../queue-work/queue-outcomes';
import type { QueueRecord } from '../queue-work/queue-record';
import type { ComposeAttempt } from './compose-attempt';
import type { ComposeDeps } from './compose-deps';
import { authoriseCompose } from './steps/authorise-compose';
import { claimThread } from './steps/claim-thread';
import { ensureThread } from './steps/ensure-thread';
import { paceCompose } from './steps/pace-compose';
import { publishComposed } from './steps/publish-composed';
import { readAiKey } from './steps/read-ai-key';
import { readComposeRequest } from './steps/read-request';
import { recordComposeFailure } from './steps/record-compose-failure';
import { writeFirstMessages } from './steps/write-first-messages';

export type { ComposeConfig, ComposeDeps } from './compose-deps';
export { COMPOSE_REFUSED } from './compose-deps';
export { firstMessageInput, threadKeyReference } from './first-message';
export {
  combinedInstructions,
  combinedSchema,
  composeCalls,
  composePlan,
  COMBINED_INSTRUCTIONS,
  firstMessagesInput,
  splitCombined,
} from './combined-first-messages';

/**
 * The compose step (docs/processing.md "Compose"): one request, one AI thread, every channel's
 * first message written on it before fan-out. For one queue message:
 *   validate → a slot on the OpenAI key's rate → claim the request's thread item → (holding the
 *   lease) authorise → the AI key → the thread (created once, stored before anything is
 *   generated) → every channel's first message, in one model call when the channels' configuration
 *   allows (else one per channel), each stored as soon as it exists → publish → mark.
 * A retry (after a crash, a timeout, a failed publish) continues where the earlier attempt
 * stopped: it reuses the stored thread and parts, so the thread is created once and a part is
 * written once (a crash between a turn and its write is the exception: the turn is taken again).
 */
export const composeRecord = async (record: QueueRecord, deps: ComposeDeps): Promise<RecordOutcome> => {
  const run = beginRecordRun(record, deps);
  const request = readComposeRequest(run);
  if ('outcome' in request) return request;

  const paced = await paceCompose(run, deps, request);
  if (paced) return paced;

  const claim = await claimThread(run, deps, request);
  if (claim.outcome !== 'claimed') return claim;

  return holdThreadLease({ ...run, deps, request, leaseToken: claim.leaseToken, item: claim.item }, async (attempt) => {
    await authoriseCompose(attempt);
    const withKey = await readAiKey(attempt);
    const threadId = await ensureThread(attempt, withKey);
    const composed = await writeFirstMessages(attempt, withKey, threadId);
    return publishComposed(attempt, threadId, composed);
  });
};

/** While composing, the message stays invisible and the thread's lease alive, against the record's deadline (queue-work/lease.ts). */
const holdThreadLease = (
  attempt: Omit<ComposeAttempt, 'heartbeat' | 'step'>,
  work: (attempt: ComposeAttempt) => Promise<RecordOutcome>,
): Promise<RecordOutcome> => {
  const { deps, request, record, logger, leaseToken } = attempt;
  let held: ComposeAttempt | undefined;
  return holdLease(
    {
      record,
      visibilityTimeoutSeconds: deps.config.visibilityTimeoutSeconds,
      heartbeatIntervalMs: deps.config.heartbeatIntervalMs,
      deadlineMs: deps.config.recordDeadlineMs,
      extendVisibility: deps.extendVisibility,
      extendLease: (until) => deps.threads.extendLease(request.threadKey, leaseToken, until),
      clock: deps.clock,
      logger,
      metrics: deps.metrics,
      what: 'The compose step',
      step: () => held?.step ?? 'authorise',
    },
    (heartbeat) => work((held = { ...attempt, heartbeat, step: 'authorise' })),
    (error) => recordComposeFailure(held!, error),
  );
};
