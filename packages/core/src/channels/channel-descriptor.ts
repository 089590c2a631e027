import type { Channel, RecipientField } from './channel';
import type { ChannelConfig } from './channel-config';

/**
 * What the engine knows about a channel, as data, in one place: which recipient field addresses
 * the person, which company field sends, how the conversation id names the sender, and what the
 * AI writes for a first message. The router, the compose step, the senders, the operator
 * commands and the tests all derive from it; a channel's provider call (send, error
 * classification, reconciliation) is its sender's adapter.
 */
export interface ChannelDescriptor {
  readonly name: Channel;
  /** The recipient_data field that holds the person's address on this channel. */
  readonly recipientField: RecipientField;
  /** The company's sending address on this channel (its number or e-mail address), if configured. */
  senderAddress(config: ChannelConfig): string | undefined;
  /** The conversation id's last part: the sender address as the id writes it. */
  idPart(senderAddress: string): string;
  /** JSON Schema of the project's `channel_config.<channel>`: its sending address and credentials secret name. */
  readonly channelConfigSchema: Record<string, unknown>;
  /**
   * Messages per second one sender may send when the project does not say
   * (`channel_config.<channel>.messages_per_second`): the provider's default for a sender, or
   * undefined when the provider sets no per-sender rate worth pacing to.
   */
  readonly defaultMessagesPerSecond?: number;
  /** Structured Outputs schema of the first message, or undefined for plain text. */
  readonly firstMessageSchema?: { name: string; schema: Record<string, unknown> };
}
