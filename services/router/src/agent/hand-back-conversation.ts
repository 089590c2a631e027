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
  return { status: 'success', conversation_id: conversation.conversation_id, handed_back: keys.map((key) => key.conversation_id) };
};
