import type { ComposedMessage, ComposedPart } from '../../context-object/types';
import type { RecordOutcome } from '../../queue-work/queue-outcomes';
import type { Channel } from '../../request/types';
import type { ComposeAttempt } from '../compose-attempt';

/**
 * One message to the fan-out topic, then the mark. A crash between the two publishes again,
 * which each sender's claim turns into a duplicate: never two messages.
 */
export const publishComposed = async (
  attempt: ComposeAttempt,
  threadId: string,
  composed: Partial<Record<Channel, ComposedPart>>,
): Promise<RecordOutcome> => {
  attempt.step = 'publish';
  const { deps, request, leaseToken, logger } = attempt;
  const { contextObject } = request;
  const message: ComposedMessage = {
    ...contextObject,
    conversation_data: { ...contextObject.conversation_data, thread_id: threadId },
    composed,
  };
  await deps.publish(message);
  await deps.threads.markPublished(request.threadKey, leaseToken, deps.clock.now());
  logger.info('Composed and published', {
    thread_id: threadId,
    conversations: contextObject.conversation_data.conversations.map((c) => c.conversation_id),
  });
  return attempt.conclude('published', 'published');
};
