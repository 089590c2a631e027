import { CHANNEL_DESCRIPTORS } from '../channels';
import { ChannelConfig, OpenAiChannelConfig } from '../companies/types';
import { Channel } from '../request/types';
import { RateLimit } from './governor';

/**
 * The limits the governor paces to, from the project's configuration. An OpenAI key is limited
 * per key (its OpenAI project), whichever of our projects uses it: the bucket is named by the
 * key's secret, and the smallest rate any channel states for it wins. A sender is limited per
 * sending address and channel (Twilio queues an SMS number and a WhatsApp sender apart).
 */
/** OpenAI's lowest paid tier allows a few hundred requests per minute per model: assume 500 when the project does not say. */
export const DEFAULT_OPENAI_REQUESTS_PER_MINUTE = 500;

export const openAiLimit = (keyReference: string, configs: (OpenAiChannelConfig | undefined)[]): RateLimit => {
  const stated = configs.map((config) => config?.requests_per_minute).filter((rpm): rpm is number => typeof rpm === 'number' && rpm > 0);
  const perMinute = stated.length > 0 ? Math.min(...stated) : DEFAULT_OPENAI_REQUESTS_PER_MINUTE;
  return { bucket: `openai#${keyReference}`, unitsPerSecond: perMinute / 60 };
};

/** The sender's limit on this channel, or undefined when it has no rate to keep (no sender, or a provider without one). */
export const senderLimit = (channel: Channel, config: ChannelConfig): RateLimit | undefined => {
  const descriptor = CHANNEL_DESCRIPTORS[channel];
  const address = descriptor.senderAddress(config);
  const perSecond =
    (config[channel] as { messages_per_second?: number } | undefined)?.messages_per_second ?? descriptor.defaultMessagesPerSecond;
  if (!address || !perSecond) return undefined;
  return { bucket: `${channel}#${address}`, unitsPerSecond: perSecond };
};
