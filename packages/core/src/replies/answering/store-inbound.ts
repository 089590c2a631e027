import type { MessageEntry } from '../../conversations/types';
import type { ReplyAttempt } from './reply-attempt';
import { emitReplyEvent } from './reply-events';

/** The person's message on its conversation, once (the entry's id is the inbound id). */
export const storeInbound = async (attempt: ReplyAttempt): Promise<void> => {
  attempt.step = 'store';
  const { inbound, conversation, deps } = attempt;
  const entry: MessageEntry = {
    message_id: inbound.inbound_id,
    timestamp: inbound.received_at,
    role: 'user',
    channel: inbound.channel,
    content: inbound.text,
    ...(inbound.subject ? { subject: inbound.subject } : {}),
  };
  const status = inbound.intent === 'opt_out' ? 'opted_out' : 'reply_received';
  const added = await deps.updates.appendInbound(
    inbound.conversation,
    inbound.inbound_id,
    entry,
    status,
    deps.clock.now(),
    typeof conversation.expires_at === 'number' ? conversation.expires_at : undefined,
  );
  // Once, when the message is stored (a retry finds it stored: its event went then, or went with the same id).
  if (added && (inbound.intent === 'reply' || inbound.intent === 'opt_out'))
    await emitReplyEvent(attempt, inbound.intent === 'opt_out' ? 'recipient.opted_out' : 'reply.received', {
      message_id: inbound.inbound_id,
      text: inbound.intent === 'reply' ? inbound.text : undefined,
    });
};
