import { ConversationKey } from '../conversations/types';
import { Channel } from '../request/types';

/**
 * An inbound message (docs/data-model.md "inbound-messages"): what a provider webhook delivered,
 * after its signature or credentials were verified. Its id is the provider's own id for it
 * (`twilio#<MessageSid>`, `sendgrid#<hash of the Message-ID>`), so a provider's retry of the same
 * message finds this item instead of making a second one.
 *
 *   received ─┬─ linked ── (reply step) ── answered | held | opted_out | opted_in
 *             └─ orphan   (matched no conversation: stored and counted, never answered)
 * `failed`: the AI refused for good (recorded with failure_reason; the message is acknowledged).
 */
export type InboundStatus = 'received' | 'linked' | 'orphan' | 'answered' | 'held' | 'opted_out' | 'opted_in' | 'failed';

/**
 * What the message asks of us before any AI reads it: an opt-out or opt-in keyword, a reply, or
 * nothing (`automatic`: an auto-responder's or a mail system's mail, stored and never answered).
 */
export type InboundIntent = 'reply' | 'opt_out' | 'opt_in' | 'automatic' | 'agent';

export interface InboundMessage {
  inbound_id: string;
  /** `agent`: a message a person at the company wrote through the agent API, queued on the thread like a reply. */
  provider: 'twilio' | 'sendgrid' | 'agent';
  channel: Channel;
  /** The person's address on the channel (E.164, or the e-mail address, lower case). */
  from_address: string;
  /** Our address it was sent to (the company's number, or the Reply-To address). */
  to_address: string;
  /** The person's new text (for e-mail: without the quoted earlier mail). */
  text: string;
  intent: InboundIntent;
  /** Why the message is `automatic` (which header or sender said so). */
  automatic_reason?: string;
  /** E-mail: SPF failed and no DKIM signature passed; a person checks it instead of the AI answering. */
  sender_unverified?: boolean;
  /** E-mail: the subject, and the ids the answer's In-Reply-To / References carry. */
  subject?: string;
  email_message_id?: string;
  email_references?: string[];
  inbound_status: InboundStatus;
  /** Set once linked: which conversation, and its thread (the reply queue's message group). */
  conversation?: ConversationKey;
  thread_id?: string;
  company_id?: string;
  project_id?: string;
  /** How it was linked: the provider's replied-to id, the Reply-To token, In-Reply-To, or the most recent conversation. */
  linked_by?: 'replied_message' | 'reply_to_token' | 'in_reply_to' | 'most_recent';
  /** Whether the reply queue has it (a webhook retried after a crash before the enqueue sends it again). */
  enqueued?: boolean;
  /** `agent`: who wrote it, and whether the AI thread already holds it (a retry does not add it twice). */
  agent_name?: string;
  thread_noted?: boolean;
  /** `agent`: the fingerprint of the text and name (a repeat of the key with other words is refused). */
  request_hash?: string;
  /** The AI's answer, stored as soon as it exists so that a retry of the reply step never takes the turn twice. */
  answer?: ReplyAnswer;
  received_at: string;
  updated_at: string;
  /** DynamoDB TTL (seconds): inbound messages are kept 90 days. */
  expires_at: number;
}

/** The AI's output for one reply (Structured Outputs, docs/processing.md "Replies"). */
export interface ReplyAnswer {
  reply: string;
  hand_off_to_human: boolean;
  hand_off_reason: string | null;
  task_complete: boolean;
  /** The person asked not to be contacted again (in plain words: a keyword never reaches the AI). Absent on answers stored before it existed. */
  opt_out?: boolean;
  usage: { prompt_tokens: number; completion_tokens: number; total_tokens: number };
}

/** The reply queue's message body: only the inbound id (the message text stays in DynamoDB, out of queues). */
export interface ReplyTask {
  inbound_id: string;
}

/** The message key of the answer to an inbound message (messages table). */
export const answerMessageKey = (inboundId: string): string => `reply#${inboundId}`;

/** An agent's message is an inbound item of its own (`agent#…`), queued on its thread; its message key is then `reply#agent#…`. */
export const AGENT_INBOUND_PREFIX = 'agent#';

export const INBOUND_RETENTION_SECONDS = 90 * 24 * 3600;
