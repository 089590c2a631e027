import { CompanyPayload } from '../companies/types';
import { Channel, ResolvedRequest } from '../request/types';

/** 2: one request, several channels, one AI thread (composed before fan-out). */
export const CONTEXT_OBJECT_SCHEMA_VERSION = 2;

/** One channel of a request and the conversation it becomes (docs/data-model.md). */
export interface ChannelConversation {
  channel: Channel;
  conversation_id: string;
}

/**
 * The router's hand-over to the compose step (docs/data-model.md): the validated request with
 * its channels resolved, the project's configuration (references only), and one conversation id
 * per channel, in request order.
 */
export interface ContextObject {
  schema_version: typeof CONTEXT_OBJECT_SCHEMA_VERSION;
  frontend_payload: ResolvedRequest;
  company_data_payload: CompanyPayload;
  conversation_data: {
    conversations: ChannelConversation[];
    conversation_status: 'initiated';
    thread_id: string | null;
  };
  metadata: {
    router_version: string;
    received_at: string;
    trace_id: string;
  };
}

/** What the AI wrote for one channel's first message: text, and for structured channels the JSON. */
export interface ComposedPart {
  text: string;
  json?: Record<string, unknown>;
  usage: { prompt_tokens: number; completion_tokens: number; total_tokens: number };
}

/**
 * The compose step's one SNS message: the Context Object with the shared thread and every
 * channel's first message, written on that thread one turn after another. Each channel's sender
 * takes its own part.
 */
export interface ComposedMessage extends ContextObject {
  conversation_data: ContextObject['conversation_data'] & { thread_id: string };
  composed: Partial<Record<Channel, ComposedPart>>;
  /** Present when the message is the answer to a person's reply, not a conversation's first message. */
  reply?: ReplyDetails;
}

/** An answer to a reply: its message key (`reply#<inbound id>`), and for e-mail how it threads (`Re:` subject, In-Reply-To, References). */
export interface ReplyDetails {
  message_key: string;
  inbound_id: string;
  subject?: string;
  in_reply_to?: string;
  references?: string[];
  /** Written by a person at the company (the agent API), not by the AI. */
  author?: { role: 'agent'; name: string };
  /** When the person last wrote: WhatsApp's 24-hour window runs from it (an agent's message is not accepted when they wrote). */
  person_wrote_at?: string;
}
