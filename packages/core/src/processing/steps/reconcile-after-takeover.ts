import { Attempt } from '../attempt';
import { SentMessage } from '../channel-adapter';
import { WithCredentials } from './read-credentials';

/**
 * After a takeover of an attempt that may have sent (it recorded a send intent and no provider
 * id), ask the provider before anything else: the message it finds is recorded, not sent again.
 */
export const reconcileAfterTakeover = async <C extends Record<string, string>>(
  attempt: Attempt<C>,
  withCredentials: WithCredentials<C>,
): Promise<SentMessage | undefined> => {
  attempt.step = 'send';
  const { item, takenOver } = attempt.claim;
  // An intent the provider refused with an answer (a 4xx) created nothing: only the others may have.
  const refused = new Set(item.send_refused ?? []);
  const intents = (item.send_intents ?? (item.send_started_at ? [{ at: item.send_started_at }] : [])).filter(
    (intent) => !refused.has(intent.at),
  );
  if (!takenOver || intents.length === 0 || item.provider_message_id) return undefined;
  const { contextObject, key, reply } = attempt.delivery;
  const now = attempt.deps.clock.now();
  const found = await withCredentials((credentials) =>
    attempt.deps.channel.reconcile({
      contextObject,
      credentials,
      intents,
      conversationId: key.conversation.conversation_id,
      reply,
      now,
      ...(item.provider_seen ? { providerSeen: item.provider_seen } : {}),
    }),
  );
  if (found)
    attempt.logger.warn('Reconciled: the provider already has this message; recording it instead of sending again', {
      provider_message_id: found.messageId,
    });
  return found;
};
