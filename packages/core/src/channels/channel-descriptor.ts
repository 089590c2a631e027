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
  /** The Secrets Manager name of the channel's provider credentials in the project's config, if configured. */
  credentialsSecretName(config: ChannelConfig): string | undefined;
  /** The keys of that credentials secret's JSON (what `pnpm secret put` and onboarding name; the sender requires them). */
  readonly credentialsKeys: readonly string[];
  /** Which provider carries it, both ways: a Twilio channel shares Twilio's webhooks, sender directory and credentials' shape. */
  readonly provider: 'twilio' | 'sendgrid';
  /** A Twilio channel's addresses on Twilio's wire (`To`, `From`): this before the E.164 number (`whatsapp:`), or nothing. */
  readonly twilioAddressPrefix?: string;
  /** Whether the project's `rate_limits.max_message_length` binds what the AI writes on it (every part costs, as SMS segments do). */
  readonly obeysMaxMessageLength: boolean;
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
  /**
   * Its part of a combined first message (one model call writes every channel's: composing/
   * combined-first-messages.ts): the part's schema, and the part as the channel's composed text
   * and JSON, exactly what a call of its own would have given its sender.
   */
  readonly combinedPart: CombinedPart;
}

export interface CombinedPart {
  readonly schema: Record<string, unknown>;
  toComposed(part: Record<string, unknown>): { text: string; json?: Record<string, unknown> };
}

/** A structured first message's part is its own schema; the sender gets the JSON and its text, as from a call of its own. */
export const structuredPart = (schema: Record<string, unknown>): CombinedPart => ({
  schema,
  toComposed: (part) => ({ text: JSON.stringify(part), json: part }),
});
