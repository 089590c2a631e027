import { AI_REFUSED } from '../../ai/openai-content';
import type { RecordOutcome } from '../../queue-work/queue-outcomes';
import { answerMessageFor } from '../answer-message';
import type { ReplyAnswer } from '../types';
import { handOff } from './hand-off';
import { emitReplyEvent } from './reply-events';
import type { AnswerableReply } from './reply-attempt';
import { REFUSAL_HAND_OFF_REASON } from './reply-deps';

/**
 * The person asked, in their own words, not to be contacted again: as the keyword does, the
 * opt-out is recorded (the router refuses the next request, every sender checks it) and nothing
 * is sent, not even the AI's answer.
 */
export const recordOptOutInTheirWords = async (attempt: AnswerableReply): Promise<RecordOutcome> => {
  attempt.step = 'record';
  const { inbound, conversation, deps, logger } = attempt;
  const optOut = {
    company_id: String(conversation.company_id),
    channel: inbound.channel,
    address: inbound.from_address,
    opted_out: true,
    source: 'reply:ai',
    event_at: inbound.received_at,
  };
  await deps.optOuts.record(optOut, deps.clock.now());
  await deps.updates.setStatus(inbound.conversation, 'opted_out', deps.clock.now());
  await deps.inbound.finish(inbound.inbound_id, 'opted_out', deps.clock.now());
  deps.metrics.count('OptOutsRecorded');
  await emitReplyEvent(attempt, 'recipient.opted_out', { message_id: inbound.inbound_id, reason: 'in their own words' });
  logger.info('The person asked not to be contacted again; opt-out recorded, nothing sent');
  return attempt.conclude('held', 'opted out in their own words');
};

/**
 * The turn's flags on the conversation (a hand-off, a finished task); then, unless the AI
 * declined, the answer to the channel's sender (a repeat publish is a duplicate its claim refuses).
 */
export const deliverAnswer = async (attempt: AnswerableReply, answer: ReplyAnswer | undefined): Promise<RecordOutcome> => {
  attempt.step = 'record';
  const { inbound, conversation, project, deps, logger } = attempt;
  const handOffReason = !answer
    ? REFUSAL_HAND_OFF_REASON
    : answer.hand_off_to_human
      ? answer.hand_off_reason?.trim() || 'the AI asked for a human'
      : undefined;
  if (handOffReason !== undefined) await handOff(attempt, handOffReason, answer?.task_complete ?? false);
  else await deps.updates.recordOutcome(inbound.conversation, { taskComplete: answer?.task_complete ?? false }, deps.clock.now());
  if (!answer) {
    await deps.inbound.finish(inbound.inbound_id, 'held', deps.clock.now(), `${AI_REFUSED}: ${REFUSAL_HAND_OFF_REASON}`);
    return attempt.conclude('held', 'the AI declined to answer: handed to a human');
  }
  attempt.step = 'publish';
  await deps.publishAnswer(answerMessageFor(inbound, conversation, project, answer));
  if (Array.isArray(conversation.waiting_messages)) await deps.updates.clearWaiting(inbound.conversation, deps.clock.now());
  await deps.inbound.finish(inbound.inbound_id, 'answered', deps.clock.now());
  logger.info("Reply answered: the answer is with the channel's sender", {
    hand_off: handOffReason !== undefined,
    task_complete: answer.task_complete,
  });
  return attempt.conclude('answered', 'answered');
};
