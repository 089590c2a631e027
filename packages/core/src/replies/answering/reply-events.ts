import { clientEvent, ClientEventData, ClientEventType } from '../../client-events/client-event';
import { emitSafely } from '../../client-events/client-events-queue';
import type { ReplyAttempt } from './reply-attempt';

/** One of the reply step's events about this inbound message's conversation (its id: the type and the inbound message). */
export const emitReplyEvent = async (attempt: ReplyAttempt, type: ClientEventType, extra: Partial<ClientEventData> = {}): Promise<void> => {
  const { inbound, conversation, deps, logger } = attempt;
  const data: ClientEventData = {
    company_id: String(conversation.company_id),
    project_id: String(conversation.project_id),
    request_id: String(conversation.request_id),
    conversation_id: conversation.conversation_id,
    thread_id: typeof conversation.thread_id === 'string' ? conversation.thread_id : undefined,
    channel: inbound.channel,
    ...extra,
  };
  await emitSafely(deps.events, clientEvent(type, inbound.inbound_id, data, deps.clock.now()), logger, deps.metrics);
};
