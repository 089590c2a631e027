import { Channel } from '../request/types';

/** docs/data-model.md's conversation statuses. */
export type ConversationStatus =
  | 'processing'
  | 'initial_message_sent'
  | 'failed_secrets_fetch'
  | 'failed_to_process_ai'
  | 'failed_to_send_message'
  | 'failed_unknown'
  | 'reply_received'
  | 'reply_sent'
  | 'opted_out';

/** Statuses after which nothing more is sent for the first message: a new delivery is a duplicate. */
export const DONE_STATUSES: readonly ConversationStatus[] = ['initial_message_sent', 'reply_received', 'reply_sent', 'opted_out'];

export type FailureStatus = Extract<ConversationStatus, `failed_${string}`>;

/** Whether a recorded failure may be retried (a new delivery takes the item over) or is final. */
export type FailureClass = 'transient' | 'permanent';

export interface MessageEntry {
  message_id: string;
  timestamp: string;
  role: 'assistant' | 'user';
  channel: Channel;
  content: string;
  prompt_tokens?: number;
  completion_tokens?: number;
  total_tokens?: number;
  /** Set when the message was found at the provider after a crash instead of being sent now. */
  reconciled?: boolean;
  /** SMS: how the text was encoded and how many segments it costs. */
  encoding?: 'GSM-7' | 'UCS-2';
  segments?: number;
  /** E-mail: the subject, and the RFC 5322 Message-ID a reply will reference. */
  subject?: string;
  email_message_id?: string;
}

/**
 * What one attempt was about to send, recorded just before its provider call (docs/processing.md step
 * 6): when, and the content the provider will hold. A later attempt that takes over matches the
 * provider's messages against these, so it recognises this conversation's message and no other.
 * `content` is absent only on items written before intents were recorded.
 */
export interface SendIntent {
  at: string;
  content?: string;
}

export interface ConversationKey {
  primary_channel: string;
  conversation_id: string;
}

/** The attributes the processor reads back; the item holds more (see docs/data-model.md). */
export interface ConversationItem extends ConversationKey {
  conversation_status: ConversationStatus;
  attempts: number;
  lease_expires_at?: number;
  lease_owner?: string;
  send_started_at?: string;
  /** Every attempt's send intent, oldest first. */
  send_intents?: SendIntent[];
  provider_message_id?: string;
  thread_id?: string | null;
  failure_reason?: string;
  failure_class?: FailureClass;
  /** Set when a retryable failure happened on the queue message's last receive: it is in the DLQ (redrive it). Cleared by the next claim. */
  retries_exhausted_at?: string;
  messages?: MessageEntry[];
  created_at: string;
  updated_at: string;
  [attribute: string]: unknown;
}
