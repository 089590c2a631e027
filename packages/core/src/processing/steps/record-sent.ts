import { AppError } from '../../errors/app-error';
import { MessageEntry } from '../../conversations/types';
import { FinalUpdate } from '../../messages/delivery-repository';
import { Attempt } from '../attempt';
import { SentMessage } from '../channel-adapter';
import { postSendRepairOf } from '../post-send-repair';
import { RecordOutcome } from '../../queue-work/queue-outcomes';
import { clientEvent } from '../../client-events/client-event';
import { emitSafely } from '../../client-events/client-events-queue';

/** `message.sent` (a first message), `reply.sent` (the AI's answer) or `agent_message.sent` (a person's), with what was sent. */
const emitSent = async <C extends Record<string, string>>(attempt: Attempt<C>, message: MessageEntry) => {
  const { delivery, deps, logger } = attempt;
  const request = delivery.contextObject.frontend_payload;
  const type = delivery.reply?.author ? 'agent_message.sent' : delivery.reply ? 'reply.sent' : 'message.sent';
  const data = {
    company_id: request.company_data.company_id,
    project_id: request.company_data.project_id,
    request_id: request.request_data.request_id,
    conversation_id: delivery.key.conversation.conversation_id,
    thread_id: delivery.ai.threadId ?? undefined,
    channel: delivery.channel,
    message_id: message.message_id,
    text: message.content,
    agent_name: delivery.reply?.author?.name,
  };
  const about = `${delivery.key.conversation.conversation_id}\n${delivery.key.messageKey}`;
  await emitSafely(deps.events, clientEvent(type, about, data, deps.clock.now()), logger, deps.metrics);
};

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The final update (message and conversation in one transaction) with quick retries; past them,
 * one CRITICAL line whose repair object `pnpm repair` applies, and no re-send: the provider has the message.
 */
export const recordSent = async <C extends Record<string, string>>(
  attempt: Attempt<C>,
  sent: SentMessage,
  how: { reconciled?: boolean } = {},
): Promise<RecordOutcome> => {
  const { deps, delivery, logger, conclude } = attempt;
  const { clock, config } = deps;
  const now = clock.now();
  const message: MessageEntry = {
    message_id: sent.messageId,
    timestamp: now.toISOString(),
    ...(delivery.reply?.author ? { role: 'agent', agent_name: delivery.reply.author.name } : { role: 'assistant' }),
    channel: delivery.channel,
    content: sent.content,
    ...(sent.details ?? {}),
    ...(how.reconciled ? {} : (delivery.ai.usage ?? {})),
    ...(how.reconciled ? { reconciled: true } : {}),
  };
  const update: FinalUpdate = {
    message,
    conversationStatus: delivery.conversationStatusOnSent,
    threadId: delivery.ai.threadId,
    processingTimeMs: now.getTime() - attempt.startedAt.getTime(),
    processorVersion: config.processorVersion,
    inboundKey: deps.channel.inboundKey(delivery.contextObject, sent),
    ...(typeof attempt.claim.item.expires_at === 'number' ? { expiresAt: attempt.claim.item.expires_at } : {}),
  };
  let lastError: unknown;
  for (let tryNumber = 1; tryNumber <= config.finalUpdateAttempts; tryNumber += 1) {
    try {
      await deps.deliveries.complete(delivery.key, update, clock.now());
      const latencyMs = clock.now().getTime() - Date.parse(delivery.receivedAt);
      deps.metrics.count('EndToEndLatencyMs', latencyMs);
      await emitSent(attempt, message);
      logger.info('Message sent and recorded', {
        provider_message_id: sent.messageId,
        processing_time_ms: update.processingTimeMs,
        end_to_end_ms: latencyMs,
      });
      return conclude(how.reconciled ? 'reconciled' : 'sent', 'sent');
    } catch (error) {
      lastError = error;
      if (tryNumber < config.finalUpdateAttempts) await (deps.sleep ?? sleep)(100 * 3 ** (tryNumber - 1));
    }
  }
  logger.critical('POST_SEND_UPDATE_FAILED: the message was sent but its items could not be updated; repair them with `pnpm repair`', {
    repair: postSendRepairOf(config, delivery.key, update),
    error: (lastError as AppError)?.cause as Error,
  });
  return conclude('post-send-update-failed', 'sent; final update failed (CRITICAL logged)');
};
