import { ConversationItem } from '../conversations/types';
import { Channel } from '../request/types';
import { AGENT_INBOUND_PREFIX, INBOUND_RETENTION_SECONDS, InboundMessage } from '../replies/types';
import { sha256Hex } from '../util/canonical-json';

/** What an agent sends: the text, who they are, and the key that makes a retry the same message. */
export interface AgentMessageInput {
  text: string;
  agent_name: string;
  idempotency_key: string;
}

/**
 * The agent message's id: one per conversation and idempotency key, so a repeat of the call finds
 * the message it made instead of making a second (the inbound table's conditional put).
 */
export const agentInboundId = (conversationId: string, idempotencyKey: string): string =>
  `${AGENT_INBOUND_PREFIX}${sha256Hex(`${conversationId}\n${idempotencyKey}`).slice(0, 40)}`;

/** The fingerprint of what was asked, so a repeat with another text under the same key is refused, not sent. */
export const agentRequestHash = (input: AgentMessageInput): string => sha256Hex(`${input.agent_name}\n${input.text}`);

/**
 * An agent's message as an inbound item, already linked to its conversation and thread: the reply
 * step takes it in the thread's turn (after the person's messages before it, before those after),
 * notes it on the AI thread and gives it to the channel's sender.
 */
export const agentInboundMessage = (conversation: ConversationItem, input: AgentMessageInput, now: Date): InboundMessage => ({
  inbound_id: agentInboundId(conversation.conversation_id, input.idempotency_key),
  provider: 'agent',
  channel: conversation.channel_method as Channel,
  from_address: `agent:${input.agent_name}`.slice(0, 200),
  to_address: conversation.primary_channel,
  text: input.text,
  intent: 'agent',
  agent_name: input.agent_name,
  request_hash: agentRequestHash(input),
  inbound_status: 'linked',
  conversation: { primary_channel: conversation.primary_channel, conversation_id: conversation.conversation_id },
  ...(typeof conversation.thread_id === 'string' ? { thread_id: conversation.thread_id } : {}),
  company_id: String(conversation.company_id),
  project_id: String(conversation.project_id),
  received_at: now.toISOString(),
  updated_at: now.toISOString(),
  expires_at: Math.floor(now.getTime() / 1000) + INBOUND_RETENTION_SECONDS,
});
