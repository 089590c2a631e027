import { ContextObject, ReplyDetails } from '../context-object/types';
import { Channel } from '../request/types';
import { AiResult } from '../ai/openai-content';
import { MessageEntry } from '../conversations/types';
import { ProviderSighting, SendIntent } from '../messages/types';

/**
 * What differs between channels' senders, and nothing else: the credentials secret, the content
 * the provider will hold, the provider call with its error classification, the reconciliation
 * query, the inbound key. What the channel *is* (addresses, ids, what the AI writes) is its
 * descriptor in `channels/`. The claim → heartbeat → authorise → secrets → reconcile → mark →
 * send → final update pipeline exists once (`process-record.ts`).
 */
export interface SentMessage {
  /** The provider's id (Twilio SM…, SendGrid X-Message-Id). */
  messageId: string;
  /** What the recipient sees, for the message entry. */
  content: string;
  /** Channel-specific facts for the message entry (SMS segments, e-mail subject and Message-ID). */
  details?: Partial<Pick<MessageEntry, 'encoding' | 'segments' | 'subject' | 'email_message_id'>>;
}

export interface ChannelAdapter<Credentials extends Record<string, string> = Record<string, string>> {
  readonly channel: Channel;
  /** Secret name (from the Context Object's company payload) and the keys it must hold. */
  credentialsSecret(contextObject: ContextObject): { name: string; requiredKeys: (keyof Credentials & string)[] };
  /**
   * What `send` will hand the provider for the person to see (the SMS text, the template
   * variables, the e-mail body), known before the call: recorded with the send intent, so that a
   * later reconciliation recognises this conversation's message among the provider's.
   */
  contentToSend(input: { contextObject: ContextObject; ai: AiResult; reply?: ReplyDetails; now: Date }): string;
  /**
   * Send through the provider; throw an AppError classified `transient` (retry) or `permanent`
   * (acknowledge), with the provider's code in the message. With `reply`, the message answers the
   * person's reply (WhatsApp free text, not a template; e-mail threaded on the person's mail).
   */
  send(input: {
    contextObject: ContextObject;
    credentials: Credentials;
    ai: AiResult;
    conversationId: string;
    reply?: ReplyDetails;
    now: Date;
  }): Promise<SentMessage>;
  /**
   * The message an earlier attempt of this conversation created, if the provider has one that
   * matches one of its send intents (docs/processing.md step 6). `providerSeen`: the provider's
   * own event about this message, when one has come (SendGrid's). May throw `AwaitingProvider`
   * when the provider cannot tell yet and a send now could be a second one.
   */
  reconcile(input: {
    contextObject: ContextObject;
    credentials: Credentials;
    intents: SendIntent[];
    conversationId: string;
    reply?: ReplyDetails;
    now: Date;
    providerSeen?: ProviderSighting;
  }): Promise<SentMessage | undefined>;
  /**
   * What one send of `content` costs against the sender's rate (docs/throughput.md): Twilio counts
   * an SMS's segments. 1 when absent.
   */
  sendUnits?(content: string): number;
  /** The conversations table's inbound-index key for replies, once `sent` is known. */
  inboundKey(contextObject: ContextObject, sent: SentMessage): string | undefined;
}
