import { clientEvent, emitSafely } from '@ai-multi-comms/core';
import { logger } from '../dependencies';
import type { AgentDeps } from './agent-deps';
import { parseHandBack } from './agent-message-schema';
import { conversationInPath } from './conversation-in-path';

export interface HandedBack {
  status: 'success';
  conversation_id: string;
  /** The conversations of the thread the AI answers again from now (empty: none was with a person). */
  handed_back: string[];
}

/**
 * POST /conversations/{conversation_id}/hand-back: the AI answers the thread again, on every
 * channel. Repeatable: a conversation that is not with a person is left as it is.
 */
export const handBackConversation = async (
  input: { conversationId: string | undefined; rawBody: string | null; apiKey: string | undefined },
  deps: AgentDeps,
): Promise<HandedBack> => {
  const { conversation } = await conversationInPath(input.conversationId, input.apiKey, deps);
  const agentName = parseHandBack(input.rawBody);
  const keys = await deps.handBack.handBackThread(conversation, agentName, deps.clock.now());
  for (const key of keys) {
    const data = {
      company_id: String(conversation.company_id),
      project_id: String(conversation.project_id),
      request_id: String(conversation.request_id),
      conversation_id: key.conversation_id,
      thread_id: typeof conversation.thread_id === 'string' ? conversation.thread_id : undefined,
      agent_name: agentName,
    };
    // One per hand-back: its id names when (a later hand-off and hand-back are new events).
    await emitSafely(
      deps.events,
      clientEvent('conversation.handed_back', `${key.conversation_id}\n${deps.clock.now().toISOString()}`, data, deps.clock.now()),
      logger,
    );
  }
  return { status: 'success', conversation_id: conversation.conversation_id, handed_back: keys.map((key) => key.conversation_id) };
};
