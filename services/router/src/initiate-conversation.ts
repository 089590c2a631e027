import type { Logger } from '@aws-lambda-powertools/logger';
import {
  buildContextObject,
  ChannelConversation,
  Clock,
  CompanyRepository,
  IdempotencyStore,
  OptOutStore,
  RateLimiter,
} from '@ai-multi-comms/core';
import { admitRequest } from './initiate/admit-request';
import { reserve } from './initiate/reservation';
import { ContextObjectQueue } from './ports/context-object-queue';

/** What the use case needs from the world; tests pass emulator-backed or fake implementations. */
export interface InitiateConversationDeps {
  companies: CompanyRepository;
  idempotency: IdempotencyStore;
  rateLimiter: RateLimiter;
  optOuts: Pick<OptOutStore, 'optedOutChannels'>;
  queue: ContextObjectQueue;
  clock: Clock;
  routerVersion: string;
  logger: Pick<Logger, 'info' | 'warn' | 'error'>;
}

export interface InitiateConversationInput {
  rawBody: string | null | undefined;
  isBase64Encoded?: boolean;
  /** The Content-Type header: a declared charset other than UTF-8 is refused. */
  contentType?: string;
  /** The x-api-key header; API Gateway has already checked that it exists and is in a usage plan. */
  apiKey: string | undefined;
  traceId: string;
}

export interface InitiateConversationResult {
  status: 'success';
  request_id: string;
  /** The first channel's conversation: what single-channel clients read. */
  conversation_id: string;
  /** One per channel, in request order. */
  conversations: ChannelConversation[];
  message: string;
  queue_timestamp: string;
  /** True when this is a repeat of a request already accepted (nothing new was queued). */
  replayed: boolean;
}

const ACCEPTED_MESSAGE = 'Request accepted and queued for processing';

/**
 * POST /initiate-conversation as a plain function: admit (body rules, the project beside the
 * opt-outs, authorisation) → the Context Object (built before any state is written: a
 * configuration fault leaves no record behind) → reserve (opt-outs, idempotency and rate limit in
 * one round trip) → enqueue → commit, or roll back. At most three sequential round trips on a warm
 * container (`pnpm bench` counts them). A request refused, or failing before it is queued, leaves
 * nothing behind: its idempotency record is released and its count given back, so that the
 * client's retry of the same request runs afresh.
 */
export const initiateConversation = async (
  input: InitiateConversationInput,
  deps: InitiateConversationDeps,
): Promise<InitiateConversationResult> => {
  const receivedAt = deps.clock.now();
  const admitted = await admitRequest(input, deps);
  const { request_id } = admitted.request.request_data;
  const contextObject = buildContextObject({
    request: admitted.resolved,
    company: admitted.company,
    receivedAt,
    routerVersion: deps.routerVersion,
    traceId: input.traceId,
  });
  const conversations = contextObject.conversation_data.conversations;

  const reservation = await reserve(admitted, deps, receivedAt);
  const { verdict } = reservation;
  if (verdict.kind !== 'go') await reservation.rollback();
  if (verdict.kind === 'refused') throw verdict.error;
  if (verdict.kind === 'repeat') {
    deps.logger.info('Repeated request: returning the original outcome', { conversation_id: verdict.response.conversation_id });
    const { conversation_id, queue_timestamp } = verdict.response;
    return {
      status: 'success',
      request_id,
      conversation_id,
      conversations: verdict.response.conversations ?? conversations,
      message: ACCEPTED_MESSAGE,
      queue_timestamp,
      replayed: true,
    };
  }

  try {
    const queueTimestamp = deps.clock.now().toISOString();
    await deps.queue.enqueue(contextObject, queueTimestamp);
    // From here the message is queued: a failure to record it must not un-queue it, nor give its
    // count back. The retry re-enqueues the same conversation id, which the compose step's claim
    // turns into a no-op.
    reservation.keepCount();
    const conversationId = conversations[0]!.conversation_id;
    await reservation.commit({ conversation_id: conversationId, conversations, queue_timestamp: queueTimestamp }, deps.clock.now());
    deps.logger.info('Conversation request queued', { conversation_id: conversationId, channels: admitted.channels.join(',') });
    return {
      status: 'success',
      request_id,
      conversation_id: conversationId,
      conversations,
      message: ACCEPTED_MESSAGE,
      queue_timestamp: queueTimestamp,
      replayed: false,
    };
  } catch (error) {
    await reservation.rollback();
    throw error;
  }
};
