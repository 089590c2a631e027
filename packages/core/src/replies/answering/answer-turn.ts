import { AI_REFUSED, AiTurn } from '../../ai/openai-content';
import { AppError } from '../../errors/app-error';
import { openAiLimit } from '../../governor/limits';
import { readRotatingSecret } from '../../queue-work/rotating-secret';
import { REPLY_SCHEMA, replyAiConfig, replyInput } from '../reply-turn';
import type { ReplyAnswer } from '../types';
import type { AnswerableReply } from './reply-attempt';

/**
 * One turn on the thread, stored as soon as it exists (a retry reuses the stored answer). A
 * refusal (the model declined to answer what the person wrote) is undefined: the conversation
 * goes to a human instead, since a retry would ask the same of the same model. Its text is not kept.
 */
export const answerTurn = async (attempt: AnswerableReply): Promise<ReplyAnswer | undefined> => {
  attempt.step = 'ai';
  const { inbound, deps, logger } = attempt;
  if (inbound.answer) return inbound.answer;
  try {
    return await deps.inbound.storeAnswer(inbound.inbound_id, await takeTurn(attempt), deps.clock.now());
  } catch (error) {
    if (!(error instanceof AppError && error.code === AI_REFUSED)) throw error;
    logger.warn('The AI declined to answer; handing the conversation to a human', { code: AI_REFUSED });
    return undefined;
  }
};

/**
 * The AI's turn with the reply; a key rotated since it was cached is read again once. Each call
 * takes its unit of the key's rate now, ahead of the compose step's booked slots (a person is
 * waiting, and a FIFO message cannot be put back with a delay), and an OpenAI refusal for rate
 * holds every caller of the key back (docs/throughput.md). The governor failing does not stop the
 * answer: OpenAI's own limit still stands behind it.
 */
const takeTurn = async ({ inbound, conversation, project, deps, logger }: AnswerableReply): Promise<ReplyAnswer> => {
  const channel = inbound.channel;
  const threadConfig = (conversation.ai_config as { openai_config?: Record<string, AiTurn['config']> } | undefined)?.openai_config?.[
    channel
  ];
  if (!threadConfig || typeof conversation.thread_id !== 'string')
    throw new AppError('permanent', 'AI_PERMANENT', 'The conversation has no AI thread to answer on.');
  const aiConfig = replyAiConfig(threadConfig, project.ai_config.openai_config[channel], project.ai_config.reply_instructions);
  // The key's rate as the compose step paced it (the thread's config), or as the project states it now for that key.
  const limit = openAiLimit(aiConfig.api_key_reference, [
    threadConfig,
    ...Object.values(project.ai_config.openai_config).filter((config) => config?.api_key_reference === aiConfig.api_key_reference),
  ]);
  const withKey = await readRotatingSecret<{ ai_api_key: string }>(
    deps.secrets,
    { name: aiConfig.api_key_reference, requiredKeys: ['ai_api_key'] },
    logger,
  );
  const result = await withKey(async ({ ai_api_key }) => {
    await deps.governor
      .takeNow(limit, 1)
      .catch((error: unknown) => logger.warn("Could not count the answer against the OpenAI key's rate", { error: error as Error }));
    try {
      return await deps.ai.turn({
        apiKey: ai_api_key,
        config: aiConfig,
        threadId: conversation.thread_id as string,
        input: replyInput(inbound, conversation, project.rate_limits?.max_message_length),
        outputSchema: REPLY_SCHEMA,
        metadata: { request_id: String(conversation.request_id), channel, inbound_id: inbound.inbound_id.slice(0, 512) },
      });
    } catch (error) {
      if (error instanceof AppError && error.kind === 'rate-limited') {
        await deps.governor
          .refused(limit, (error.retryAfterSeconds ?? 1) * 1000)
          .catch((holdError: unknown) => logger.warn('Could not hold the OpenAI key back', { error: holdError as Error }));
      }
      throw error;
    }
  });
  const json = result.json as {
    reply: string;
    hand_off_to_human: boolean;
    hand_off_reason: string | null;
    task_complete: boolean;
    opt_out: boolean;
  };
  return {
    reply: json.reply,
    hand_off_to_human: json.hand_off_to_human,
    hand_off_reason: json.hand_off_reason,
    task_complete: json.task_complete,
    opt_out: json.opt_out === true,
    usage: result.usage,
  };
};
