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

export type FailureStatus = Extract<ConversationStatus, `failed_${string}`>;

/** How a message that will never be sent is recorded: a failure, or the person's opt-out. */
export type RefusalStatus = FailureStatus | 'opted_out';

/** Whether a recorded failure may be retried (a new delivery takes the item over) or is final. */
export type FailureClass = 'transient' | 'permanent';

export interface MessageEntry {
  message_id: string;
  timestamp: string;
  /** The AI's message, the person's, or one a person at the company wrote (the agent API). */
  role: 'assistant' | 'user' | 'agent';
  channel: Channel;
  content: string;
  /** For `agent`: the name the agent gave. */
  agent_name?: string;
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

export interface ConversationKey {
  primary_channel: string;
  conversation_id: string;
}

/**
 * A conversation: one channel of one request, its identity (copied from the request and the
 * project), its thread, its status and the list of its messages as a reader sees them. The
 * delivery state of each message we send is that message's own item (`messages/types.ts`).
 */
export interface ConversationItem extends ConversationKey {
  conversation_status: ConversationStatus;
  thread_id?: string | null;
  /** The first message's recorded failure, mirrored from its message item for readers. */
  failure_reason?: string;
  failure_class?: FailureClass;
  retries_exhausted_at?: string;
  /** The summary of its messages, which are items of their own (conversation-entries.ts). */
  message_count?: number;
  first_message_at?: string;
  last_message_at?: string;
  /** Our first mail's subject (the answers' `Re:`). */
  first_subject?: string;
  /** Conversations written before message entries were items held them here; readers take both. */
  messages?: MessageEntry[];
  created_at: string;
  updated_at: string;
  [attribute: string]: unknown;
}
