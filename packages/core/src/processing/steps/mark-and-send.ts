import { Attempt } from '../attempt';
import { SentMessage } from '../channel-adapter';
import { WithCredentials } from './read-credentials';

/**
 * Record the send intent (with what is about to be sent), then send, only while this attempt
 * still holds the queue message and the lease. `undefined` when the heartbeat failed: another
 * invocation may hold the message, so nothing is sent.
 */
export const markAndSend = async <C extends Record<string, string>>(
  attempt: Attempt<C>,
  withCredentials: WithCredentials<C>,
): Promise<SentMessage | undefined> => {
  attempt.step = 'send';
  if (!attempt.heartbeat.healthy()) return undefined;
  const {
    deps,
    delivery,
    claim,
    deps: { clock },
  } = attempt;
  const { contextObject, ai, key, reply } = delivery;
  // One instant for what is recorded and what is sent (WhatsApp's 24-hour window decides both).
  const now = clock.now();
  await deps.deliveries.markSendStarted(key, claim.leaseToken, now, deps.channel.contentToSend({ contextObject, ai, reply, now }));
  attempt.intentAt = now.toISOString();
  return withCredentials((credentials) =>
    deps.channel.send({ contextObject, credentials, ai, conversationId: key.conversation.conversation_id, reply, now }),
  );
};
