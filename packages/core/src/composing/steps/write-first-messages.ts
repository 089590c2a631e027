import { CHANNEL_DESCRIPTORS } from '../../channels';
import type { ComposedPart } from '../../context-object/types';
import type { WithSecret } from '../../queue-work/rotating-secret';
import type { Channel } from '../../request/types';
import type { ComposeAttempt } from '../compose-attempt';
import { combinedSchema, composePlan, firstMessagesInput, splitCombined } from '../combined-first-messages';
import { firstMessageInput } from '../first-message';
import type { AiKey } from './read-ai-key';

type Composed = Partial<Record<Channel, ComposedPart>>;

/**
 * Every channel's first message still missing (a retry writes only those): in one model call
 * when the channels' configuration allows (combined-first-messages.ts), else one call per
 * channel, one after another (OpenAI refuses a second turn on a thread in progress with
 * `conversation_locked`). Each part is stored as soon as it exists.
 */
export const writeFirstMessages = async (attempt: ComposeAttempt, withKey: WithSecret<AiKey>, threadId: string): Promise<Composed> => {
  attempt.step = 'ai';
  const { request, item } = attempt;
  const composed: Composed = { ...(item.composed ?? {}) };
  const missing = request.channels.filter((channel) => !composed[channel]);
  if (missing.length === 0) return composed;
  const plan = composePlan(request.contextObject, missing);
  if (plan.calls === 'combined') return { ...composed, ...(await writeCombined(attempt, withKey, threadId, plan)) };
  if (plan.reason) attempt.logger.info('Composing with one model call per channel', { channels: plan.channels, reason: plan.reason });
  for (const channel of plan.channels) composed[channel] = await writeOne(attempt, withKey, threadId, channel);
  return composed;
};

/** One call writes every channel's part (one structured output); the thread holds one assistant turn with each channel's part under its name. */
const writeCombined = async (
  attempt: ComposeAttempt,
  withKey: WithSecret<AiKey>,
  threadId: string,
  plan: Extract<ReturnType<typeof composePlan>, { calls: 'combined' }>,
): Promise<Composed> => {
  const { deps, request, leaseToken } = attempt;
  const result = await withKey((key) =>
    deps.ai.turn({
      apiKey: key.ai_api_key,
      config: plan.config,
      threadId,
      input: firstMessagesInput(request.contextObject, plan.channels),
      outputSchema: combinedSchema(plan.channels),
      metadata: { ...request.metadata, channels: plan.channels.join(',') },
    }),
  );
  const parts = splitCombined(result.json!, plan.channels, result.usage);
  const now = deps.clock.now();
  for (const channel of plan.channels) await deps.threads.recordPart(request.threadKey, leaseToken, channel, parts[channel], now);
  return parts;
};

/** A channel's first message in a call of its own, with its own schema (none for SMS: plain text). */
const writeOne = async (attempt: ComposeAttempt, withKey: WithSecret<AiKey>, threadId: string, channel: Channel): Promise<ComposedPart> => {
  const { deps, request, leaseToken } = attempt;
  const { contextObject } = request;
  const result = await withKey((key) =>
    deps.ai.turn({
      apiKey: key.ai_api_key,
      config: contextObject.company_data_payload.ai_config.openai_config[channel]!,
      threadId,
      input: firstMessageInput(contextObject, channel),
      outputSchema: CHANNEL_DESCRIPTORS[channel].firstMessageSchema,
      metadata: { ...request.metadata, channel },
    }),
  );
  const part: ComposedPart = { text: result.text, ...(result.json ? { json: result.json } : {}), usage: result.usage };
  await deps.threads.recordPart(request.threadKey, leaseToken, channel, part, deps.clock.now());
  return part;
};
