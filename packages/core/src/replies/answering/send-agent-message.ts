import { AppError } from '../../errors/app-error';
import type { RecordOutcome } from '../../queue-work/queue-outcomes';
import { readRotatingSecret } from '../../queue-work/rotating-secret';
import { answerMessageFor } from '../answer-message';
import type { ReplyAttempt } from './reply-attempt';

/**
 * A message a person at the company wrote (the agent API), in its thread's turn on the reply
 * queue, so it is ordered with the person's replies: first onto the AI thread as an assistant turn
 * that says a person wrote it (once: the inbound item remembers), then to the channel's sender as
 * `reply#agent#…`, which sends it exactly once and records it with role `agent`. Nothing asks the
 * AI anything: a hand-off stays as it is until the agent hands the conversation back.
 */
export const sendAgentMessage = async (attempt: ReplyAttempt): Promise<RecordOutcome> => {
  const { inbound, conversation, deps, logger } = attempt;
  const companyId = String(conversation.company_id);
  const project = await deps.companies.get(companyId, String(conversation.project_id));
  if (!project) throw new AppError('permanent', 'COMPANY_NOT_FOUND', "The conversation's project no longer exists.");
  const channel = inbound.channel;
  if (!inbound.thread_noted && typeof conversation.thread_id === 'string') {
    attempt.step = 'ai';
    const keyReference = (conversation.ai_config as { openai_config?: Record<string, { api_key_reference?: string }> } | undefined)
      ?.openai_config?.[channel]?.api_key_reference;
    if (keyReference) {
      const withKey = await readRotatingSecret<{ ai_api_key: string }>(
        deps.secrets,
        { name: keyReference, requiredKeys: ['ai_api_key'] },
        logger,
      );
      await withKey(({ ai_api_key }) =>
        deps.ai.note(ai_api_key, conversation.thread_id as string, {
          agentName: inbound.agent_name ?? 'an agent',
          channel,
          text: inbound.text,
        }),
      );
    }
    await deps.inbound.markThreadNoted(inbound.inbound_id, deps.clock.now());
  }
  attempt.step = 'publish';
  const message = answerMessageFor(inbound, conversation, project, {
    reply: inbound.text,
    hand_off_to_human: false,
    hand_off_reason: null,
    task_complete: false,
    usage: { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 },
  });
  message.reply = {
    ...message.reply!,
    author: { role: 'agent', name: inbound.agent_name ?? 'an agent' },
    ...(typeof conversation.last_inbound_at === 'string' ? { person_wrote_at: conversation.last_inbound_at } : {}),
  };
  await deps.publishAnswer(message);
  await deps.inbound.finish(inbound.inbound_id, 'answered', deps.clock.now());
  deps.metrics.count('AgentMessagesSent');
  logger.info("An agent's message is with the channel's sender", { channel });
  return attempt.conclude('answered', 'agent message published');
};
