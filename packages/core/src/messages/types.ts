import { ConversationKey, FailureClass, RefusalStatus } from '../conversations/types';
import { Channel } from '../request/types';

/**
 * An outbound message as its own unit of delivery (docs/data-model.md, "messages"): one item per
 * message we send, holding everything that makes it go out exactly once (claim, lease, send
 * intents, the provider's id), apart from the conversation it belongs to. The first message of a
 * conversation is `initial`; a reply's answer will be one more item of the same conversation.
 */
export const INITIAL_MESSAGE = 'initial';

export type MessageStatus = 'processing' | 'sent' | RefusalStatus;

/**
 * What one attempt was about to send, recorded just before its provider call (docs/processing.md "Mark"): when, and the content the provider will hold. A later attempt that takes over matches the
 * provider's messages against these, so it recognises this conversation's message and no other.
 * `content` is absent only on items written before intents were recorded.
 */
export interface SendIntent {
  at: string;
  content?: string;
}

export interface ProviderSighting {
  provider_message_id: string;
  event: string;
  at: string;
}

/** The messages table's key: the conversation, and the message within it. */
export interface MessageKey {
  conversation_id: string;
  message_key: string;
}

/** Which message of which conversation: both items a delivery writes. */
export interface DeliveryKey {
  conversation: ConversationKey;
  messageKey: string;
}

export interface MessageItem extends MessageKey {
  /** The conversation item's partition key, so a message leads back to its conversation. */
  primary_channel: string;
  channel: Channel;
  message_status: MessageStatus;
  attempts: number;
  lease_owner?: string;
  lease_expires_at?: number;
  send_started_at?: string;
  /** Every attempt's send intent, oldest first (docs/processing.md "Reconcile"). */
  send_intents?: SendIntent[];
  /** The provider's id once it has the message (Twilio SM…, SendGrid X-Message-Id). */
  provider_message_id?: string;
  /** Send intents (their `at`) the provider refused with an answer: nothing was created for them. */
  send_refused?: string[];
  /**
   * The provider's own word that it has this message, before we knew its id: SendGrid's event
   * (processed, dropped, delivered…) carries our custom_args, and the events webhook writes it here.
   */
  provider_seen?: ProviderSighting;
  failure_reason?: string;
  failure_class?: FailureClass;
  /** A retryable failure on the queue message's last receive: it is in the DLQ (redrive it). Cleared by the next claim. */
  retries_exhausted_at?: string;
  created_at: string;
  updated_at: string;
  [attribute: string]: unknown;
}

/** Statuses after which a new delivery of the message is a duplicate. */
export const isFinished = (item: Pick<MessageItem, 'message_status' | 'failure_class'>): boolean =>
  item.message_status === 'sent' || (item.message_status !== 'processing' && item.failure_class === 'permanent');
