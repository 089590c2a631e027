import { ErrorCodes, validationError } from '@ai-multi-comms/core';
import type { AgentDeps } from './agent-deps';
import { conversationInPath } from './conversation-in-path';

export interface HandedBack {
  status: 'success';
  conversation_id: string;
  /** The conversations of the thread the AI answers again from now (empty: none was with a person). */
  handed_back: string[];
}

const agentNameOf = (rawBody: string | null): string => {
  if (!rawBody || rawBody.trim() === '') return 'an agent';
  let body: unknown;
  try {
    body = JSON.parse(rawBody);
  } catch {
    throw validationError(ErrorCodes.INVALID_REQUEST, 'The body must be a JSON object, or empty.');
  }
  const name = (body as { agent_name?: unknown } | null)?.agent_name;
  if (name === undefined) return 'an agent';
  if (typeof name !== 'string' || name.trim() === '' || name.length > 100)
    throw validationError(ErrorCodes.VALIDATION_ERROR, 'Invalid body: agent_name must be 1-100 characters.', [
      { field: 'agent_name', code: ErrorCodes.VALIDATION_ERROR, message: 'must be 1-100 characters' },
    ]);
  return name.trim();
};

/**
 * POST /conversations/{conversation_id}/hand-back: the AI answers the thread again, on every
 * channel. Repeatable: a conversation that is not with a person is left as it is.
 */
export const handBackConversation = async (
  input: { conversationId: string | undefined; rawBody: string | null; apiKey: string | undefined },
  deps: AgentDeps,
): Promise<HandedBack> => {
  const { conversation } = await conversationInPath(input.conversationId, input.apiKey, deps);
  const agentName = agentNameOf(input.rawBody);
  const keys = await deps.handBack.handBackThread(conversation, agentName, deps.clock.now());
  return { status: 'success', conversation_id: conversation.conversation_id, handed_back: keys.map((key) => key.conversation_id) };
};
