import { CHANNEL_DESCRIPTORS } from '../../channels';
import type { ComposedPart } from '../../context-object/types';
import type { WithSecret } from '../../queue-work/rotating-secret';
import type { Channel } from '../../request/types';
import type { ComposeAttempt } from '../compose-attempt';
import { firstMessageInput } from '../first-message';
import type { AiKey } from './read-ai-key';

/**
 * Each channel's first message, one turn after another (OpenAI refuses a second turn on a thread
 * in progress with `conversation_locked`), each stored as soon as it exists: a retry writes only
 * the parts still missing.
 */
export const writeFirstMessages = async (
  attempt: ComposeAttempt,
  withKey: WithSecret<AiKey>,
  threadId: string,
): Promise<Partial<Record<Channel, ComposedPart>>> => {
  attempt.step = 'ai';
  const { deps, request, item, leaseToken } = attempt;
  const { contextObject } = request;
  const composed: Partial<Record<Channel, ComposedPart>> = { ...(item.composed ?? {}) };
  for (const channel of request.channels) {
    if (composed[channel]) continue;
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
    composed[channel] = part;
  }
  return composed;
};
