import type { ReplyAttempt } from './reply-attempt';
import { emitReplyEvent } from './reply-events';

/** The conversation, and every other of its request, to a person; the event for operators once. */
export const handOff = async (attempt: ReplyAttempt, reason: string, taskComplete = false): Promise<void> => {
  const { deps, inbound, conversation, logger } = attempt;
  const now = () => deps.clock.now();
  await deps.updates.recordOutcome(inbound.conversation, { handOffReason: reason, taskComplete }, now());
  // The whole thread waits for the person, on every channel (written before the event, so a retry repeats it).
  const owner = {
    conversation_id: conversation.conversation_id,
    request_id: String(conversation.request_id),
    company_id: String(conversation.company_id),
    project_id: String(conversation.project_id),
  };
  await deps.updates.handOffThread(owner, reason.slice(0, 500), now());
  if (conversation.hand_off_to_human === true) return;
  deps.metrics.count('HandOffs');
  logger.warn('Handed off to a human: nothing automatic is sent on this conversation from now on', { reason_length: reason.length });
  await deps.publishHandOff({
    event: 'hand_off_to_human',
    ...owner,
    channel: inbound.channel,
    thread_id: String(conversation.thread_id),
    inbound_id: inbound.inbound_id,
    reason: reason.slice(0, 500),
    at: now().toISOString(),
  });
  await emitReplyEvent(attempt, 'conversation.handed_off', { reason: reason.slice(0, 500) });
};
