import { AI_PERMANENT } from '../ai/openai-content';
import { CHANNEL_DESCRIPTORS } from '../channels';
import { AppError } from '../errors/app-error';
import { CHANNELS, Channel } from '../channels/channel';
import type { OpenAiChannelConfig } from '../companies/types';
import type { ComposedPart, ContextObject } from '../context-object/types';
import { commonFirstMessageInput } from './first-message';

/**
 * One model call writes every channel's first message (docs/processing.md "Compose"): under the
 * providers' limits the binding resource is the OpenAI key's requests per minute, and a call per
 * channel spent one unit per channel and read the instructions and the thread once per channel.
 * Channels share a call when their calls would be the same but for the instructions: the same
 * model and temperature, and no stored prompt. Otherwise (say, e-mail on a larger model) each
 * channel keeps a call of its own, as before; a one-channel request too (its call is already one).
 */
export type ComposePlan =
  | { calls: 'combined'; channels: Channel[]; config: OpenAiChannelConfig }
  | { calls: 'one-per-channel'; channels: Channel[]; reason?: string };

/** What must be equal for channels to share a call: all a Responses request carries besides instructions, input and format. */
const callShape = (config: OpenAiChannelConfig) =>
  JSON.stringify([config.model ?? null, config.prompt_id ?? null, config.prompt_version ?? null, config.temperature ?? null]);

/** Told first, the same for every request of every project, so that providers' prompt caching reads it and what follows from cache. */
export const COMBINED_INSTRUCTIONS =
  "Write this conversation's first message on each channel in `channels`: one JSON object, one part per channel, " +
  "each in its channel's form and limits, following that channel's instructions.";

/** The channels in a fixed order (CHANNELS), whatever order the request named them in: the same request text every time. */
const inStableOrder = (channels: readonly Channel[]): Channel[] => CHANNELS.filter((channel) => channels.includes(channel));

const sentencesOf = (text: string) => text.split(/(?<=[.!?])\s+/).filter(Boolean);

/**
 * The project's instructions for these channels, each said once: the sentences every channel's
 * instructions share (a team's context, repeated per channel because each was written for a call
 * of its own) first, then what is particular to each channel under its name, in a fixed order.
 */
export const combinedInstructions = (configs: [Channel, OpenAiChannelConfig][]): string => {
  const sentences = configs.map(([channel, config]) => [channel, sentencesOf(config.instructions ?? '')] as const);
  const shared = sentences[0]![1].filter((sentence) => sentences.every(([, own]) => own.includes(sentence)));
  const particular = sentences
    .map(([channel, own]) => [channel, own.filter((sentence) => !shared.includes(sentence)).join(' ')] as const)
    .filter(([, text]) => text)
    .map(([channel, text]) => `For ${channel}: ${text}`);
  return [COMBINED_INSTRUCTIONS, shared.join(' '), ...particular].filter(Boolean).join('\n\n');
};

export const composePlan = (contextObject: ContextObject, requested: readonly Channel[]): ComposePlan => {
  const channels = inStableOrder(requested);
  const openAi = contextObject.company_data_payload.ai_config.openai_config;
  const configs = channels.map((channel) => [channel, openAi[channel]!] as [Channel, OpenAiChannelConfig]);
  if (channels.length < 2) return { calls: 'one-per-channel', channels };
  const shapes = new Set(configs.map(([, config]) => callShape(config)));
  if (shapes.size > 1)
    return {
      calls: 'one-per-channel',
      channels,
      reason: 'the channels name different models, stored prompts or temperatures, which one call cannot serve',
    };
  const first = configs[0]![1];
  // A stored prompt is written for one message and holds its instructions itself: the combined
  // call's preamble and channel instructions could not be added to it, so each channel keeps its call.
  if (first.prompt_id) return { calls: 'one-per-channel', channels, reason: 'the channels run a stored prompt, written for one message' };
  const budgets = configs.map(([, config]) => config.max_output_tokens);
  const config: OpenAiChannelConfig = {
    ...first,
    instructions: combinedInstructions(configs),
    max_output_tokens: budgets.every((budget) => typeof budget === 'number') ? budgets.reduce((a, b) => a + b, 0) : undefined,
  };
  if (config.max_output_tokens === undefined) delete config.max_output_tokens;
  return { calls: 'combined', channels, config };
};

/** How many model calls the request's first messages take (what the governor books on the key). */
export const composeCalls = (contextObject: ContextObject, channels: readonly Channel[]): number => {
  const plan = composePlan(contextObject, channels);
  return plan.calls === 'combined' ? 1 : plan.channels.length;
};

/** The combined call's Structured Outputs schema: one required part per channel, each its channel's own (strict). */
export const combinedSchema = (channels: readonly Channel[]): { name: string; schema: Record<string, unknown> } => ({
  name: 'first_messages',
  schema: {
    type: 'object',
    additionalProperties: false,
    required: [...channels],
    properties: Object.fromEntries(channels.map((channel) => [channel, CHANNEL_DESCRIPTORS[channel].combinedPart.schema])),
  },
});

/** What the AI is told for the combined call: the request's fields once, the channels, and each channel's length limit where it has one. */
export const firstMessagesInput = (contextObject: ContextObject, channels: readonly Channel[]) => {
  const maxLength = contextObject.company_data_payload.rate_limits?.max_message_length;
  const limited = channels.filter((channel) => CHANNEL_DESCRIPTORS[channel].obeysMaxMessageLength && maxLength);
  return {
    task: 'first_messages',
    channels: [...channels],
    ...commonFirstMessageInput(contextObject),
    max_message_length: limited.length > 0 ? Object.fromEntries(limited.map((channel) => [channel, maxLength])) : null,
  };
};

type Usage = ComposedPart['usage'];

/** One call's usage shared out over its parts (whole tokens, the remainder on the first), so that the messages' sum is the call's. */
export const shareOfUsage = (usage: Usage, parts: number, index: number): Usage => {
  const share = (total: number) => Math.floor(total / parts) + (index === 0 ? total % parts : 0);
  return {
    prompt_tokens: share(usage.prompt_tokens),
    completion_tokens: share(usage.completion_tokens),
    total_tokens: share(usage.prompt_tokens) + share(usage.completion_tokens),
  };
};

/**
 * The combined output as each channel's composed part, exactly what a call of its own would have
 * given its sender. A part with no text (an empty SMS) fails for good here, as a call of its own
 * replying with no text does, rather than at the provider.
 */
export const splitCombined = (json: Record<string, unknown>, channels: readonly Channel[], usage: Usage): Record<Channel, ComposedPart> =>
  Object.fromEntries(
    channels.map((channel, index) => {
      const composed = CHANNEL_DESCRIPTORS[channel].combinedPart.toComposed(json[channel] as Record<string, unknown>);
      if (composed.text.trim() === '') throw new AppError('permanent', AI_PERMANENT, `OpenAI wrote no text for the ${channel} message.`);
      return [channel, { ...composed, usage: shareOfUsage(usage, channels.length, index) }];
    }),
  ) as Record<Channel, ComposedPart>;
