import type { Logger } from '@aws-lambda-powertools/logger';
import { AI_REFUSED, AiResult, AiTurn } from '../ai/openai-content';
import { CompanyRepository } from '../companies/company-repository';
import { ComposedMessage } from '../context-object/types';
import { ConversationRepository } from '../conversations/conversation-repository';
import { ConversationItem, MessageEntry } from '../conversations/types';
import { AppError } from '../errors/app-error';
import { Governor } from '../governor/governor';
import { openAiLimit } from '../governor/limits';
import { OptOutStore } from '../opt-outs/opt-out-store';
import { ProcessingMetrics, QueueRecord } from '../processing/process-record';
import { isCredentialsRejected } from '../processing/provider-failure';
import { decideOutcome, OutcomeCause, OutcomeConfig, RecordOutcome } from '../processing/queue-outcomes';
import { Channel } from '../request/types';
import { SecretReader } from '../secrets/secret-reader';
import { Clock } from '../util/clock';
import { answerMessageFor } from './answer-message';
import { ConversationUpdates } from './conversation-updates';
import { InboundStore } from './inbound-store';
import { laterMessageWaiting } from './latest-inbound';
import { REPLY_SCHEMA, replyAiConfig, replyInput } from './reply-turn';
import { InboundMessage, ReplyAnswer, ReplyTask } from './types';

/** Published for operators when the AI hands a conversation to a person (the hand-offs topic). */
export interface HandOffEvent {
  event: 'hand_off_to_human';
  company_id: string;
  project_id: string;
  request_id: string;
  conversation_id: string;
  channel: Channel;
  thread_id: string;
  inbound_id: string;
  reason: string;
  at: string;
}

export interface ReplyDeps {
  inbound: InboundStore;
  conversations: Pick<ConversationRepository, 'get'>;
  updates: ConversationUpdates;
  companies: Pick<CompanyRepository, 'get'>;
  optOuts: Pick<OptOutStore, 'isOptedOut' | 'record'>;
  secrets: SecretReader;
  ai: { turn(turn: AiTurn): Promise<AiResult> };
  /** The OpenAI key's rate, shared with the compose step: the answer's turn goes now and counts against it. */
  governor: Pick<Governor, 'takeNow' | 'refused'>;
  /** The answer to the fan-out topic, for the channel's sender (filtered to that channel). */
  publishAnswer(message: ComposedMessage): Promise<void>;
  publishHandOff(event: HandOffEvent): Promise<void>;
  clock: Clock;
  logger: Pick<Logger, 'createChild'>;
  metrics: ProcessingMetrics;
  config: OutcomeConfig;
}

const parseTask = (body: string): ReplyTask | undefined => {
  try {
    const value = JSON.parse(body) as Partial<ReplyTask>;
    return typeof value.inbound_id === 'string' && value.inbound_id.length > 0 ? { inbound_id: value.inbound_id } : undefined;
  } catch {
    return undefined;
  }
};

const FINISHED = new Set(['answered', 'held', 'opted_out', 'opted_in', 'failed']);

/** Automatic answers per conversation in a 24-hour window when the project states none: a person writing back and forth all day stays well inside it; an auto-responder loop or a burst does not. */
export const DEFAULT_ANSWERS_PER_DAY = 20;
export const ANSWER_BUDGET_WINDOW_MS = 24 * 3_600_000;
export const ANSWER_BUDGET_HAND_OFF_REASON = 'The conversation reached its automatic answers for the day; a person should take over.';
export const SENDER_UNVERIFIED_HAND_OFF_REASON = 'The e-mail failed SPF and DKIM: it may not be from the person; a person should check it.';

/** The hand-off reason when the AI declined to answer (fixed: the model's own words may echo the person's). */
export const REFUSAL_HAND_OFF_REASON = 'The AI declined to answer this message; a person should reply.';

/**
 * The reply step (docs/processing.md "Replies"), for one message of the FIFO reply queue, whose
 * group is the thread: so this runs for one reply of a thread at a time, in arrival order, on
 * every channel. The person's message goes on its conversation (once), then, unless it is a
 * keyword, the conversation is with a human, or the person opted out: one AI turn on the shared
 * thread (stored before anything is sent, so a retry never takes it twice), the hand-off and task
 * flags, and the answer to the channel's sender, which delivers it exactly once as message
 * `reply#<inbound id>`. Every way out goes through the queue-outcomes table.
 */
export const answerReply = async (record: QueueRecord, deps: ReplyDeps): Promise<RecordOutcome> => {
  const { clock, metrics, config } = deps;
  const logger = deps.logger.createChild();
  const conclude = (cause: OutcomeCause, reason: string): RecordOutcome => {
    const decided = decideOutcome(cause, { reason, receiveCount: record.receiveCount }, config);
    for (const name of decided.metrics) metrics.count(name);
    if (decided.retriesExhausted) logger.error('Retries exhausted: the reply goes to the dead-letter queue', { message_id: record.messageId, receive_count: record.receiveCount, reason });
    return decided.outcome;
  };

  const task = parseTask(record.body);
  if (!task) {
    logger.error('Malformed reply task', { message_id: record.messageId });
    return conclude('malformed', 'not a reply task');
  }
  logger.appendKeys({ inbound_id: task.inbound_id });

  let inbound: InboundMessage | undefined;
  let step = 'read';
  try {
    inbound = await deps.inbound.get(task.inbound_id);
    if (!inbound?.conversation) {
      logger.error('The reply task names no linked inbound message');
      return conclude('malformed', 'inbound message missing or unlinked');
    }
    if (FINISHED.has(inbound.inbound_status)) return conclude('duplicate', `already ${inbound.inbound_status}`);
    const conversation = await deps.conversations.get(inbound.conversation);
    if (!conversation) throw new AppError('permanent', 'CONVERSATION_NOT_FOUND', 'The linked conversation no longer exists.');
    logger.appendKeys({ conversation_id: conversation.conversation_id, channel: inbound.channel });

    // The person's message on its conversation, once.
    step = 'store';
    const now = clock.now();
    const entry: MessageEntry = { message_id: inbound.inbound_id, timestamp: inbound.received_at, role: 'user', channel: inbound.channel, content: inbound.text, ...(inbound.subject ? { subject: inbound.subject } : {}) };
    await deps.updates.appendInbound(inbound.conversation, inbound.inbound_id, entry, inbound.intent === 'opt_out' ? 'opted_out' : 'reply_received', now, typeof conversation.expires_at === 'number' ? conversation.expires_at : undefined);

    // Not for the AI: keywords (recorded by the webhook already), a human's conversation, an opted-out person, a stopped project.
    if (inbound.intent === 'automatic') {
      await deps.inbound.finish(inbound.inbound_id, 'held', clock.now(), `automatic mail: ${inbound.automatic_reason ?? 'auto-submitted'}`);
      metrics.count('AutomaticMailHeld');
      logger.info('Automatic mail (auto-responder, list or delivery report) stored on the conversation; never answered', { reason: inbound.automatic_reason });
      return conclude('held', 'automatic mail');
    }
    if (inbound.intent !== 'reply') {
      await deps.inbound.finish(inbound.inbound_id, inbound.intent === 'opt_out' ? 'opted_out' : 'opted_in', clock.now());
      logger.info('Opt-out keyword stored on the conversation; not answered', { intent: inbound.intent });
      return conclude('held', inbound.intent);
    }
    /** The conversation, and every other of its request, to a person; the event for operators once. */
    const handOff = async (reason: string, taskComplete = false) => {
      await deps.updates.recordOutcome(inbound!.conversation!, { handOffReason: reason, taskComplete }, clock.now());
      // The whole thread waits for the person, on every channel (written before the event, so a retry repeats it).
      await deps.updates.handOffThread(
        { conversation_id: conversation.conversation_id, request_id: String(conversation.request_id), company_id: String(conversation.company_id), project_id: String(conversation.project_id) },
        reason.slice(0, 500),
        clock.now(),
      );
      if (conversation.hand_off_to_human === true) return;
      metrics.count('HandOffs');
      logger.warn('Handed off to a human: nothing automatic is sent on this conversation from now on', { reason_length: reason.length });
      await deps.publishHandOff({
        event: 'hand_off_to_human',
        company_id: String(conversation.company_id),
        project_id: String(conversation.project_id),
        request_id: String(conversation.request_id),
        conversation_id: conversation.conversation_id,
        channel: inbound!.channel,
        thread_id: String(conversation.thread_id),
        inbound_id: inbound!.inbound_id,
        reason: reason.slice(0, 500),
        at: clock.now().toISOString(),
      });
    };
    const hold = async (why: string) => {
      await deps.inbound.finish(inbound!.inbound_id, 'held', clock.now());
      logger.info('Reply stored, not answered', { why });
      return conclude('held', why);
    };
    if (conversation.hand_off_to_human === true) {
      metrics.count('RepliesForHuman');
      return hold('the conversation is with a human');
    }
    const companyId = String(conversation.company_id);
    if (await deps.optOuts.isOptedOut(companyId, inbound.channel, inbound.from_address)) return hold('the person opted out');
    const project = await deps.companies.get(companyId, String(conversation.project_id));
    if (!project || project.project_status !== 'active') return hold('the project is not active');

    // A later message of the person's waits behind this one in the thread's queue: its turn
    // answers both (a burst is one turn and one answer, not one each).
    if (!inbound.answer && laterMessageWaiting(conversation, inbound)) {
      await deps.updates.holdForLater(inbound.conversation, { inbound_id: inbound.inbound_id, text: inbound.text }, clock.now());
      await deps.inbound.finish(inbound.inbound_id, 'held', clock.now(), 'answered together with a later message');
      metrics.count('RepliesCoalesced');
      logger.info('A later message is waiting: this one is answered with it');
      return conclude('held', 'answered with a later message');
    }

    // Before the AI: who wrote may not be the person (SPF and DKIM both failed), or the
    // conversation has had its automatic answers for the day (an auto-responder that slipped
    // through, a burst): a person takes over instead of another answer.
    // (A retry whose turn is already stored has passed these checks and spent its answer.)
    const stopReason = inbound.answer
      ? undefined
      : inbound.sender_unverified
      ? SENDER_UNVERIFIED_HAND_OFF_REASON
      : !(await deps.updates.takeAnswer(inbound.conversation, project.rate_limits?.automatic_answers_per_day ?? DEFAULT_ANSWERS_PER_DAY, ANSWER_BUDGET_WINDOW_MS, clock.now()))
        ? ANSWER_BUDGET_HAND_OFF_REASON
        : undefined;
    if (stopReason) {
      step = 'record';
      if (stopReason === ANSWER_BUDGET_HAND_OFF_REASON) metrics.count('AnswerBudgetSpent');
      await handOff(stopReason);
      await deps.inbound.finish(inbound.inbound_id, 'held', clock.now(), stopReason);
      return conclude('held', stopReason);
    }

    // One turn on the thread, stored as soon as it exists. A refusal (the model declined to answer
    // what the person wrote) hands the conversation to a human instead: a person is waiting, and a
    // retry would ask the same of the same model. Nothing is sent; the refusal's text is not kept.
    step = 'ai';
    let answer: ReplyAnswer | undefined;
    try {
      answer = inbound.answer ?? (await deps.inbound.storeAnswer(inbound.inbound_id, await takeTurn(inbound, conversation, project, deps, logger), clock.now()));
    } catch (error) {
      if (!(error instanceof AppError && error.code === AI_REFUSED)) throw error;
      logger.warn('The AI declined to answer; handing the conversation to a human', { code: AI_REFUSED });
    }

    // The person asked, in their own words, not to be contacted again: as the keyword does, the
    // opt-out is recorded (the router refuses the next request, every sender checks it) and
    // nothing is sent, not even the AI's answer.
    if (answer?.opt_out) {
      step = 'record';
      await deps.optOuts.record({ company_id: companyId, channel: inbound.channel, address: inbound.from_address, opted_out: true, source: 'reply:ai', event_at: inbound.received_at }, clock.now());
      await deps.updates.setStatus(inbound.conversation, 'opted_out', clock.now());
      await deps.inbound.finish(inbound.inbound_id, 'opted_out', clock.now());
      metrics.count('OptOutsRecorded');
      logger.info('The person asked not to be contacted again; opt-out recorded, nothing sent');
      return conclude('held', 'opted out in their own words');
    }

    step = 'record';
    const handOffReason = !answer ? REFUSAL_HAND_OFF_REASON : answer.hand_off_to_human ? answer.hand_off_reason?.trim() || 'the AI asked for a human' : undefined;
    if (handOffReason !== undefined) await handOff(handOffReason, answer?.task_complete ?? false);
    else await deps.updates.recordOutcome(inbound.conversation, { taskComplete: answer?.task_complete ?? false }, clock.now());

    if (!answer) {
      await deps.inbound.finish(inbound.inbound_id, 'held', clock.now(), `${AI_REFUSED}: ${REFUSAL_HAND_OFF_REASON}`);
      return conclude('held', 'the AI declined to answer: handed to a human');
    }

    // The answer to the channel's sender (a repeat publish is a duplicate its claim refuses).
    step = 'publish';
    await deps.publishAnswer(answerMessageFor(inbound, conversation, project, answer));
    if (Array.isArray(conversation.waiting_messages)) await deps.updates.clearWaiting(inbound.conversation, clock.now());
    await deps.inbound.finish(inbound.inbound_id, 'answered', clock.now());
    logger.info('Reply answered: the answer is with the channel\'s sender', { hand_off: handOffReason !== undefined, task_complete: answer.task_complete });
    return conclude('answered', 'answered');
  } catch (error) {
    const appError = error instanceof AppError ? error : undefined;
    const permanentFailure = appError?.kind === 'permanent';
    logger.error('Reply step failed', { step, failure_class: permanentFailure ? 'permanent' : 'transient', failure_reason: appError?.message ?? 'Unexpected failure.', error: error as Error });
    if (!permanentFailure || !inbound) return conclude('transient', appError?.message ?? 'unexpected');
    try {
      await deps.inbound.finish(inbound.inbound_id, 'failed', clock.now(), appError.message.slice(0, 500));
      // Visible where clients and operators look (GET /conversations), not only on the inbound item.
      if (inbound.conversation) await deps.updates.setStatus(inbound.conversation, 'failed_to_process_ai', clock.now(), `The reply was not answered: ${appError.message}`.slice(0, 500));
    } catch {
      return conclude('failure-not-recorded', 'failure not recorded');
    }
    return conclude('permanent', appError.message);
  }
};

/**
 * The AI's turn with the reply; a key rotated since it was cached is read again once. Each call
 * takes its unit of the key's rate now, ahead of the compose step's booked slots (a person is
 * waiting, and a FIFO message cannot be put back with a delay), and an OpenAI refusal for rate
 * holds every caller of the key back (docs/throughput.md). The governor failing does not stop the
 * answer: OpenAI's own limit still stands behind it.
 */
const takeTurn = async (
  inbound: InboundMessage,
  conversation: ConversationItem,
  project: NonNullable<Awaited<ReturnType<ReplyDeps['companies']['get']>>>,
  deps: ReplyDeps,
  logger: ReturnType<ReplyDeps['logger']['createChild']>,
): Promise<ReplyAnswer> => {
  const channel = inbound.channel;
  const threadConfig = (conversation.ai_config as { openai_config?: Record<string, AiTurn['config']> } | undefined)?.openai_config?.[channel];
  if (!threadConfig || typeof conversation.thread_id !== 'string') throw new AppError('permanent', 'AI_PERMANENT', 'The conversation has no AI thread to answer on.');
  const aiConfig = replyAiConfig(threadConfig, project.ai_config.openai_config[channel], project.ai_config.reply_instructions);
  // The key's rate as the compose step paced it (the thread's config), or as the project states it now for that key.
  const limit = openAiLimit(aiConfig.api_key_reference, [threadConfig, ...Object.values(project.ai_config.openai_config).filter((config) => config?.api_key_reference === aiConfig.api_key_reference)]);
  const readKey = async () => (await deps.secrets.getJson<{ ai_api_key: string }>(aiConfig.api_key_reference, ['ai_api_key'])).ai_api_key;
  const call = (apiKey: string) =>
    deps.ai.turn({
      apiKey,
      config: aiConfig,
      threadId: conversation.thread_id as string,
      input: replyInput(inbound, conversation, project.rate_limits?.max_message_length),
      outputSchema: REPLY_SCHEMA,
      metadata: { request_id: String(conversation.request_id), channel, inbound_id: inbound.inbound_id.slice(0, 512) },
    });
  const turn = async (apiKey: string) => {
    await deps.governor.takeNow(limit, 1).catch((error: unknown) => logger.warn("Could not count the answer against the OpenAI key's rate", { error: error as Error }));
    try {
      return await call(apiKey);
    } catch (error) {
      if (error instanceof AppError && error.kind === 'rate-limited') {
        await deps.governor.refused(limit, (error.retryAfterSeconds ?? 1) * 1000).catch((holdError: unknown) => logger.warn('Could not hold the OpenAI key back', { error: holdError as Error }));
      }
      throw error;
    }
  };
  let result: AiResult;
  try {
    result = await turn(await readKey());
  } catch (error) {
    if (!isCredentialsRejected(error)) throw error;
    deps.secrets.evict(aiConfig.api_key_reference);
    result = await turn(await readKey());
  }
  const json = result.json as { reply: string; hand_off_to_human: boolean; hand_off_reason: string | null; task_complete: boolean; opt_out: boolean };
  return { reply: json.reply, hand_off_to_human: json.hand_off_to_human, hand_off_reason: json.hand_off_reason, task_complete: json.task_complete, opt_out: json.opt_out === true, usage: result.usage };
};
