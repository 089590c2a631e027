import type { RecordOutcome } from '../../queue-work/queue-outcomes';
import { laterMessageWaiting } from '../latest-inbound';
import { handOff } from './hand-off';
import type { AnswerableReply } from './reply-attempt';
import {
  ANSWER_BUDGET_HAND_OFF_REASON,
  ANSWER_BUDGET_WINDOW_MS,
  DEFAULT_ANSWERS_PER_DAY,
  SENDER_UNVERIFIED_HAND_OFF_REASON,
} from './reply-deps';

/**
 * A later message of the person's waits behind this one in the thread's queue: its turn answers
 * both (a burst is one turn and one answer, not one each). Undefined: answer this one.
 */
export const coalesceWithLater = async (attempt: AnswerableReply): Promise<RecordOutcome | undefined> => {
  const { inbound, conversation, deps, logger } = attempt;
  if (inbound.answer || !laterMessageWaiting(conversation, inbound)) return undefined;
  await deps.updates.holdForLater(inbound.conversation, { inbound_id: inbound.inbound_id, text: inbound.text }, deps.clock.now());
  await deps.inbound.finish(inbound.inbound_id, 'held', deps.clock.now(), 'answered together with a later message');
  deps.metrics.count('RepliesCoalesced');
  logger.info('A later message is waiting: this one is answered with it');
  return attempt.conclude('held', 'answered with a later message');
};

/**
 * Before the AI: who wrote may not be the person (SPF and DKIM both failed), or the conversation
 * has had its automatic answers for the day (an auto-responder that slipped through, a burst): a
 * person takes over instead of another answer. A retry whose turn is already stored has passed
 * these checks and spent its answer. Undefined: answer.
 */
export const stopBeforeTheAi = async (attempt: AnswerableReply): Promise<RecordOutcome | undefined> => {
  const { inbound, project, deps } = attempt;
  if (inbound.answer) return undefined;
  const budget = project.rate_limits?.automatic_answers_per_day ?? DEFAULT_ANSWERS_PER_DAY;
  const stopReason = inbound.sender_unverified
    ? SENDER_UNVERIFIED_HAND_OFF_REASON
    : !(await deps.updates.takeAnswer(inbound.conversation, budget, ANSWER_BUDGET_WINDOW_MS, deps.clock.now()))
      ? ANSWER_BUDGET_HAND_OFF_REASON
      : undefined;
  if (!stopReason) return undefined;
  attempt.step = 'record';
  if (stopReason === ANSWER_BUDGET_HAND_OFF_REASON) deps.metrics.count('AnswerBudgetSpent');
  await handOff(attempt, stopReason);
  await deps.inbound.finish(inbound.inbound_id, 'held', deps.clock.now(), stopReason);
  return attempt.conclude('held', stopReason);
};
