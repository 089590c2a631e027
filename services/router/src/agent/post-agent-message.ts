import {
  agentInboundMessage,
  agentRequestHash,
  answerMessageKey,
  Channel,
  conflict,
  ErrorCodes,
  forbidden,
  whatsappWindowOpen,
} from '@ai-multi-comms/core';
import type { AgentDeps } from './agent-deps';
import { parseAgentMessage } from './agent-message-schema';
import { conversationInPath } from './conversation-in-path';

export interface AgentMessageAccepted {
  status: 'accepted';
  conversation_id: string;
  channel: Channel;
  /** The message's id on the conversation once sent (`reply#agent#…`). */
  message_id: string;
  accepted_at: string;
}

/**
 * POST /conversations/{conversation_id}/messages: a person at the company writes to the person on
 * the conversation's channel. Refused up front what could not be sent (the person opted out; the
 * WhatsApp window is closed and the project has no re-engagement template), so that accepted means
 * delivered. The message is stored once per idempotency key and queued on its thread's turn; a
 * repeat of the key answers what the first call did, and the key with other words is a conflict.
 */
export const postAgentMessage = async (
  input: { conversationId: string | undefined; rawBody: string | null; apiKey: string | undefined },
  deps: AgentDeps,
): Promise<AgentMessageAccepted> => {
  const { project, conversation } = await conversationInPath(input.conversationId, input.apiKey, deps);
  const body = parseAgentMessage(input.rawBody);
  if (project.project_status !== 'active') throw forbidden(ErrorCodes.PROJECT_INACTIVE, `Project ${project.project_id} is not active.`);
  const channel = conversation.channel_method as Channel;
  if (
    conversation.conversation_status === 'opted_out' ||
    (await deps.optOuts.isOptedOut(project.company_id, channel, conversation.primary_channel))
  )
    throw forbidden(ErrorCodes.RECIPIENT_OPTED_OUT, `The person opted out of ${channel} messages from this company.`);
  const lastInbound = typeof conversation.last_inbound_at === 'string' ? conversation.last_inbound_at : undefined;
  const now = deps.clock.now();
  if (
    channel === 'whatsapp' &&
    !(lastInbound && whatsappWindowOpen(lastInbound, now)) &&
    !project.channel_config.whatsapp?.reengagement_template_sid
  )
    throw conflict(
      ErrorCodes.WHATSAPP_WINDOW_CLOSED,
      'The person has not written on WhatsApp in the last 24 hours and the project has no re-engagement template; WhatsApp allows no free text now.',
    );
  const message = agentInboundMessage(conversation, body, now);
  const stored = await deps.inbound.receive(message);
  const existing = stored.created ? message : stored.existing;
  if (existing.request_hash !== agentRequestHash(body))
    throw conflict(ErrorCodes.IDEMPOTENCY_CONFLICT, 'This idempotency_key was used for another message on this conversation.');
  if (!existing.enqueued) {
    await deps.queue.enqueue({ inbound_id: existing.inbound_id }, existing.thread_id ?? conversation.conversation_id);
    await deps.inbound.markEnqueued(existing.inbound_id, deps.clock.now());
  }
  return {
    status: 'accepted',
    conversation_id: conversation.conversation_id,
    channel,
    message_id: answerMessageKey(existing.inbound_id),
    accepted_at: existing.received_at,
  };
};
